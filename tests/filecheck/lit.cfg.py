# lit configuration for Strata's FileCheck suite: `opt-tool` and `filecheck` from PATH.
import os
import shutil
import sys

import lit.formats

config.name = "strata"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["lit.cfg.py", "Output"]

root = os.path.dirname(os.path.dirname(config.test_source_root))
opt_tool = shutil.which("opt-tool") or f"{sys.executable} -m tools.opt_tool"
config.substitutions.append(("opt-tool", opt_tool))
config.environment["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")
config.environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
