"""Reading and writing docs/spec.md §2 retain profiles with numpy."""
import json

import numpy as np

from st import File


class Profile:
    def __init__(self, path):
        f = File(path)
        meta = f.metadata
        assert meta.get("format") == "retain-profile" and meta.get("version") == "1", f"{path}: not a v1 retain profile"
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

    def layout(self, module):
        return self.modules[module].get("layout", "out_in")
