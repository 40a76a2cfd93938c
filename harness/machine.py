"""What machine a benchmark ran on: printed with every figure, so runs can be compared."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any, Dict


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (``platform.processor()`` where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine() -> Dict[str, Any]:
    """Cores, CPU model, Python and the 1-minute load average (a busy machine shows here)."""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "load": f"{os.getloadavg()[0]:.1f}",
    }
