# Sourced by the benchmark scripts. Debian's OpenBLAS 0.3.21 runs its generic kernels on
# virtual CPUs it does not recognise (2–3× slower); unless OPENBLAS_CORETYPE is set, pick
# the fastest kernels this CPU can run, as docs/operations.md §1.5 tells operators to.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  flags=$(grep -m1 '^flags' /proc/cpuinfo)
  if [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* && " $flags " == *" avx512dq "* && " $flags " == *" avx512vl "* ]]; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [[ " $flags " == *" avx2 "* ]]; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
