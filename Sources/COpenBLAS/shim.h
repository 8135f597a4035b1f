// OpenBLAS's CBLAS and netlib LAPACKE over OpenBLAS's LAPACK (Debian: libopenblas-dev,
// liblapacke-dev). Debian's OpenBLAS ships no LAPACKE of its own.
#include <cblas.h>
#include <lapacke.h>
