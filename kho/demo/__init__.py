"""The demo archive of `kho demo`: a test PKI, signed sample results, an example deposit."""
