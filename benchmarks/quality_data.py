"""Labelled data sets built from openly licensed text that Debian packages ship.

    apt-get install wordnet-base fortunes     # the text; nothing else is downloaded

* ``wordnet-lexnames`` — WordNet 3.0 glosses (``/usr/share/wordnet/data.*``, Debian package
  ``wordnet-base``, WordNet 3.0 licence: free use, copy and distribution with the copyright
  notice). Text: a synset's gloss (definition and examples); label: its lexicographer file,
  the seven largest (adj.all, noun.artifact, noun.person, noun.plant, noun.animal, noun.act,
  noun.communication): 64,905 rows, 7 classes. Domain: dictionary definitions.
* ``wordnet-coarse`` — every one of WordNet's 117,659 glosses in 6 coarse classes (adjective,
  adverb, verb, living noun, physical noun, abstract noun), for the scaling measurements.
* ``fortunes`` — the fortune cookies of BSD ``fortune`` (``/usr/share/games/fortunes``,
  Debian package ``fortunes``, BSD licence). Text: one cookie, often several lines; label:
  its file (category), the 13 files with at least 500 cookies: 8,594 rows. Domain: jokes,
  quotations and aphorisms.

None of them is any of the owners' hidden data sets; no setting of any candidate was chosen
on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WORDNET = Path("/usr/share/wordnet")
FORTUNES = Path("/usr/share/games/fortunes")
# The lexicographer files by number (WordNet's lexnames(5WN)); Debian omits the lexnames file.
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
)
LEXNAMES = _LEXNAMES.split()
SEVEN = {
    "adj.all",
    "noun.artifact",
    "noun.person",
    "noun.plant",
    "noun.animal",
    "noun.act",
    "noun.communication",
}
LIVING = {"noun.person", "noun.animal", "noun.plant", "noun.body"}
PHYSICAL = {"noun.artifact", "noun.object", "noun.substance", "noun.food", "noun.location"}
MIN_FORTUNES = 500


def _glosses() -> list[tuple[str, str]]:
    """(gloss, lexicographer file) of every synset."""
    rows = []
    for pos in ("noun", "verb", "adj", "adv"):
        with (WORDNET / f"data.{pos}").open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):  # the licence header
                    continue
                head, _, gloss = line.partition("|")
                rows.append((gloss.strip(), LEXNAMES[int(head.split(" ", 2)[1])]))
    return rows


def _coarse(lexname: str) -> str:
    if lexname.startswith("adj."):
        return "adjective"
    if lexname.startswith("adv."):
        return "adverb"
    if lexname.startswith("verb."):
        return "verb"
    if lexname in LIVING:
        return "living"
    return "physical" if lexname in PHYSICAL else "abstract"


def wordnet_lexnames() -> tuple[list[str], list[str]]:
    rows = [(g, lex) for g, lex in _glosses() if lex in SEVEN]
    return [g for g, _ in rows], [lex for _, lex in rows]


def wordnet_coarse() -> tuple[list[str], list[str]]:
    rows = _glosses()
    return [g for g, _ in rows], [_coarse(lex) for _, lex in rows]


def fortunes() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for path in sorted(FORTUNES.glob("*.u8")):
        cookies = [
            c.strip()
            for c in path.read_text(encoding="utf-8", errors="replace").split("\n%\n")
            if c.strip()
        ]
        if len(cookies) >= MIN_FORTUNES:
            texts.extend(cookies)
            labels.extend([path.stem] * len(cookies))
    return texts, labels


def grown(texts: list[str], labels: list[str], rows: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """``rows`` rows: the data, then variants of random rows with ~15% of their words dropped
    (so repeats are not duplicates and the vocabulary keeps growing a little)."""
    rng = np.random.default_rng(seed)
    first = rng.permutation(len(texts))[:rows]  # shuffled: the files are sorted by class
    out_t, out_y = [texts[i] for i in first], [labels[i] for i in first]
    while len(out_t) < rows:
        i = int(rng.integers(len(texts)))
        words = texts[i].split()
        keep = [w for w in words if rng.random() > 0.15] or words
        out_t.append(" ".join(keep))
        out_y.append(labels[i])
    order = rng.permutation(len(out_t))
    return [out_t[i] for i in order], [out_y[i] for i in order]


BUILDERS = {
    "wordnet-lexnames": wordnet_lexnames,
    "fortunes": fortunes,
    "wordnet-coarse": wordnet_coarse,
}
