// The declaration lives in the header; libFuzzer provides the definition.
