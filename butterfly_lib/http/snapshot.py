"""The bundled offline snapshot, as the product uses it: seed a request cache from ``data/snapshot/``.

Look here when an offline run misses a request or to see what the snapshot holds. ``seed_cache`` stores every
response of ``manifest.json`` under the exact cache key the real clients produce for its URL, never expiring,
with its ``X-Butterfly-Kind`` / ``X-Butterfly-Notice`` headers, which ``fetch`` turns into the provenance kind
and notice. ``ensure_seeded`` does it only when the manifest is newer than the cache. Seeding twice stores the
same entries. The tools that *record* the snapshot live outside the package (``tools/snapshot/``).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse

from butterfly_lib.errors import ButterflyError
from butterfly_lib.http.cache_write import save_response
from butterfly_lib.http.fetch import KIND_HEADER, NOTICE_HEADER
from butterfly_lib.http.session import build_session
from butterfly_lib.settings import HttpSettings

MANIFEST = "manifest.json"
#: which recordings a snapshot response was built from (kept on the cached response for `butterfly cache`)
INPUTS_HEADER = "X-Butterfly-Inputs"
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 422: "Unprocessable Entity"}


class SnapshotMissing(ButterflyError):
    """There is no bundled snapshot (``data/snapshot/manifest.json``) to run offline from."""


def make_response(
    request: requests.PreparedRequest, body: bytes, headers: dict[str, str], status: int = 200
) -> requests.Response:
    """A complete ``requests.Response`` (with a raw urllib3 response, as requests-cache needs to store it)."""
    headers = {**headers, "Content-Length": str(len(body))}
    resp = requests.Response()
    resp.status_code = status
    resp.reason = _REASONS.get(status, "Error")
    resp.headers = CaseInsensitiveDict(headers)
    resp.raw = HTTPResponse(
        body=io.BytesIO(body), headers=headers, status=status, preload_content=False, decode_content=False,
        request_url=request.url,
    )  # fmt: skip
    resp._content = body
    resp.url = request.url or ""
    resp.request = request
    resp.encoding = "utf-8"
    return resp


def read_manifest(snapshot_dir: Path) -> dict:
    path = Path(snapshot_dir) / MANIFEST
    if not path.exists():
        raise SnapshotMissing(f"no offline snapshot: {path} is missing (rebuild it with `make snapshot`)")
    return json.loads(path.read_text())


def read_body(folder: Path, entry: dict) -> bytes:
    raw = (folder / entry["file"]).read_bytes()
    return gzip.decompress(raw) if entry.get("encoding") == "gzip" else raw


def seed_cache(cache_file: Path, snapshot_dir: Path) -> str:
    """Store every snapshot response in the cache at ``cache_file``; return a one-line summary."""
    folder = Path(snapshot_dir)
    manifest = read_manifest(folder)
    Path(cache_file).parent.mkdir(parents=True, exist_ok=True)
    session = build_session(HttpSettings(cache_file=Path(cache_file), offline=True))
    kinds: dict[str, int] = {}
    nbytes = 0
    try:
        for entry in manifest["responses"]:
            prepared = session.prepare_request(requests.Request(entry["method"], entry["url"]))
            key = session.cache.create_key(prepared)
            body = read_body(folder, entry)
            headers = {
                "Content-Type": entry["content_type"],
                KIND_HEADER: entry["kind"],
                NOTICE_HEADER: entry["notice"],
                INPUTS_HEADER: json.dumps(entry["inputs"]),
            }
            # the strict write: a full disk or a read-only cache stops seeding with the reason, never half-silently
            save_response(session.cache, make_response(prepared, body, headers), key, None, read_only=session.read_only)
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
            nbytes += len(body)
    finally:
        session.close()
    mix = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return (
        f"seeded {sum(kinds.values())} snapshot responses ({mix}; {nbytes / 1e6:.1f} MB) as of "
        f"{manifest['as_of']} into {cache_file}"
    )


def ensure_seeded(http: HttpSettings, snapshot_dir: Path, log: Callable[[str], None] = print) -> None:
    """Seed ``http.cache_file`` from the snapshot when it is missing or older than the snapshot's manifest."""
    manifest = Path(snapshot_dir) / MANIFEST
    if not manifest.exists():
        raise SnapshotMissing(f"no offline snapshot: {manifest} is missing (rebuild it with `make snapshot`)")
    cache = Path(http.cache_file)
    if not cache.exists() or cache.stat().st_mtime < manifest.stat().st_mtime:
        log(seed_cache(cache, snapshot_dir))


def snapshot_notes(snapshot_dir: Path) -> str:
    """``PROVENANCE.md`` of the bundled snapshot as Markdown for a page: title dropped, headings one level
    down, and the per-response table left out (it stays in the file and in ``manifest.json``)."""
    path = Path(snapshot_dir) / "PROVENANCE.md"
    if not path.exists():
        return "No snapshot is bundled in this checkout."
    text = path.read_text(encoding="utf-8")
    text = text.split("\n## Responses", 1)[0]
    lines = [ln for ln in text.splitlines() if not ln.startswith("# ")]
    body = "\n".join(("#" + ln) if ln.startswith("## ") else ln for ln in lines).strip()
    return body + (
        "\n\nEvery response of the snapshot, with its URL, kind and notice, is listed in "
        "`data/snapshot/PROVENANCE.md` and `data/snapshot/manifest.json`."
    )


__all__ = ["INPUTS_HEADER", "SnapshotMissing", "ensure_seeded", "make_response", "read_manifest", "seed_cache",
           "snapshot_notes"]
