"""The on-disk format of Flair models: one zip file, no pickled objects.

``header.json`` holds what rebuilds the network (classes, params, vocabulary, temperature,
the encoder package and version) and ``weights.pt`` a plain state dict. Flair's own ``.pt``
files are whole pickled models that run code when loaded; tagloop never writes or reads
them. Weights are read with ``torch.load(weights_only=True)``, whose unpickler accepts only
tensors and plain containers — and only after the registry has checked the file's sha256
against the one recorded when tagloop wrote it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import torch

from tagloop.ml.backends.errors import ArtifactError

FORMAT = "tagloop-flair/1"  # bump when the header or the network layout changes
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed, so equal models give equal files


def write_artifact(path: Path, header: dict[str, Any], state: dict[str, torch.Tensor]) -> None:
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in state.items()}, buffer)
    with zipfile.ZipFile(path, "w") as archive:
        text = json.dumps({"format": FORMAT, **header}, indent=1).encode()
        _write(archive, "header.json", text, zipfile.ZIP_DEFLATED)
        _write(archive, "weights.pt", buffer.getvalue(), zipfile.ZIP_STORED)


def read_artifact(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(header, state dict); ``ArtifactError`` for anything that is not our zip of tensors."""
    try:
        with zipfile.ZipFile(path) as archive:
            header = json.loads(archive.read("header.json"))
            weights = archive.read("weights.pt")
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file") from None
    except Exception as exc:  # garbage, truncation, a Flair .pt: all "not our artifact"
        raise ArtifactError(f"{path}: not a tagloop flair artifact ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArtifactError(f"{path}: not a {FORMAT} artifact")
    try:
        # weights_only: the unpickler accepts tensors and plain containers, nothing that runs.
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ArtifactError(f"{path}: weights are not a plain state dict ({exc})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ArtifactError(f"{path}: weights are not a plain state dict")
    return header, state


def _write(archive: zipfile.ZipFile, name: str, data: bytes, compression: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = compression
    archive.writestr(info, data)
