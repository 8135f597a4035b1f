"""Reading and writing docs/spec.md §2 retain profiles with numpy."""
import json

import numpy as np

from st import File


class Profile:
    def __init__(self, path):
        f = File(path)
        meta = f.metadata
        assert meta.get("format") == "retain-profile" and meta.get("version") in ("1", "2"), f"{path}: not a v1 or v2 retain profile"
        self.modules = json.loads(meta["modules"])
        self.tokens = int(meta["tokens"])
        self.base_fingerprint = meta["base_fingerprint"]
        self.proxy_fingerprint = meta.get("proxy_fingerprint", "")
        self.sites = {}
        for module, entry in self.modules.items():
            s = entry["site"]
            if s not in self.sites:
                self.sites[s] = {
                    "factors": f.array(s + ".factors", np.float64),
                    "mean": f.array(s + ".mean", np.float64),
                    "trace": float(f.array(s + ".trace", np.float64).reshape(-1)[0]),
                    "tail": float(f.array(s + ".tail", np.float64).reshape(-1)[0]),
                }

        # Version 2: the base's reference figures stored per module (absent in version 1).
        self.references = {}
        if meta["version"] == "2":
            for module in self.modules:
                if module + ".reference_energy" in f.header:
                    self.references[module] = (float(f.array(module + ".reference_energy", np.float64).reshape(-1)[0]),
                                               float(f.array(module + ".reference_mean_norm", np.float64).reshape(-1)[0]))

    def layout(self, module):
        return self.modules[module].get("layout", "out_in")
