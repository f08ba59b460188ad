"""The two Java programs caption scoring runs from pycocoevalcap: the PTB tokenizer and METEOR 1.5.

Both are driven exactly as pycocoevalcap drives them (same jars, same command-line flags, same
input escaping); what changes is how often: the tokenizer runs once for a whole corpus, references
and predictions together, instead of once per call.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from evalkit.errors import EvalkitError

# pycocoevalcap/tokenizer/ptbtokenizer.py: tokens dropped after tokenisation.
PTB_PUNCTUATION = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";"]
)
# The official wrapper replaces only "\n"; the tokenizer also breaks lines at these, which would
# shift every later caption onto the wrong image, so they become spaces too.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\u2028\u2029]")


class CaptionToolError(EvalkitError):
    """Java or a pycocoevalcap jar is missing or failed."""


def pycocoevalcap_dir() -> Path:
    """The installed pycocoevalcap package folder (its jars live under it)."""
    try:
        import pycocoevalcap
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise CaptionToolError("pycocoevalcap is not installed: pip install pycocoevalcap") from exc
    return Path(next(iter(pycocoevalcap.__path__)))


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise CaptionToolError(
            "caption metrics need Java (pycocoevalcap's PTB tokenizer and METEOR are Java programs): "
            "install a JRE, e.g. apt-get install openjdk-17-jre-headless"
        )
    return java


def ptb_tokenize(captions: Sequence[str]) -> list[str]:
    """Each caption as pycocoevalcap's ``PTBTokenizer`` leaves it, in one Java run.

    Stanford PTBTokenizer (CoreNLP 3.4.1, ``-preserveLines -lowerCase``), then the tokens in
    ``PTB_PUNCTUATION`` are dropped and the rest joined by single spaces.
    """
    if not captions:
        return []
    jar = pycocoevalcap_dir() / "tokenizer" / "stanford-corenlp-3.4.1.jar"
    text = "\n".join(_LINE_BREAKS.sub(" ", caption) for caption in captions)
    with tempfile.TemporaryDirectory(prefix="evalkit-ptb-") as tmp:
        path = Path(tmp) / "captions.txt"
        path.write_bytes(text.encode())
        cmd = [_java(), "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase"]
        done = subprocess.run([*cmd, str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        raise CaptionToolError(f"the PTB tokenizer failed (exit {done.returncode}): {done.stderr.decode()[-500:]}")
    lines = done.stdout.decode().split("\n")
    if len(lines) < len(captions):
        raise CaptionToolError(f"the PTB tokenizer returned {len(lines)} lines for {len(captions)} captions")
    return [
        " ".join(w for w in line.rstrip().split(" ") if w not in PTB_PUNCTUATION) for line in lines[: len(captions)]
    ]


class MeteorJar:
    """A running ``meteor-1.5.jar -stdio -l en -norm``, as pycocoevalcap's ``Meteor`` starts it.

    ``stats`` returns the jar's sufficient statistics for one hypothesis; ``evaluate`` returns the
    jar's per-segment scores and its corpus score for a list of statistics. Use as a context
    manager so the process is always ended.
    """

    def __init__(self) -> None:
        folder = pycocoevalcap_dir() / "meteor"
        cmd = [_java(), "-jar", "-Xmx2G", "meteor-1.5.jar", "-", "-", "-stdio", "-l", "en", "-norm"]
        self._process = subprocess.Popen(
            cmd, cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def _ask(self, line: str) -> None:
        stdin = self._process.stdin
        if stdin is None:  # pragma: no cover - always a pipe
            raise CaptionToolError("METEOR's input pipe is closed")
        stdin.write(line.encode() + b"\n")
        stdin.flush()

    def _read(self) -> str:
        stdout = self._process.stdout
        line = stdout.readline() if stdout is not None else b""
        if not line:
            raise CaptionToolError("METEOR stopped unexpectedly (is there 2 GB of memory for its JVM?)")
        return line.decode().strip()

    def stats(self, hypothesis: str, references: Sequence[str]) -> str:
        """The statistics line for one segment (pycocoevalcap ``Meteor._stat``)."""
        # Quirk kept: only the hypothesis is cleaned of '|||' and double spaces.
        hypothesis = hypothesis.replace("|||", "").replace("  ", " ")
        self._ask(" ||| ".join(("SCORE", " ||| ".join(references), hypothesis)))
        return self._read()

    def evaluate(self, stats: Sequence[str]) -> tuple[list[float], float]:
        """Per-segment scores and the corpus score for these statistics lines."""
        self._ask("EVAL ||| " + " ||| ".join(stats))
        per_segment = [float(self._read()) for _ in stats]
        return per_segment, float(self._read())

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.kill()
        self._process.wait()

    def __enter__(self) -> MeteorJar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spice_unavailable_reason() -> str | None:
    """Why SPICE cannot run here, or ``None`` when it can (its CoreNLP models are installed)."""
    lib = pycocoevalcap_dir() / "spice" / "lib"
    missing = [
        name for name in ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar")
        if not (lib / name).exists()
    ]
    if missing:
        return (
            f"SPICE needs the Stanford CoreNLP 3.6.0 models, which are not installed ({', '.join(missing)} "
            "missing from the installed pycocoevalcap's spice/lib folder); run "
            "`python -m pycocoevalcap.spice.get_stanford_models` once with network access"
        )
    if shutil.which("java") is None:
        return "SPICE needs Java, which is not installed"
    return None

