"""乡治 xiangzhi — grid + points rural governance."""

__version__ = "0.1.0"
