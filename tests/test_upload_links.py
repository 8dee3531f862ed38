"""A unit's own upload link (#13 part 4): only a hash is kept; a workbook uploaded through it enters the month's
intake, ledger and rules like a mail from that unit — time as evidence, another unit's workbook 退回."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kexie_xl.api import Context, issue_link, load_context, revoke_link, run_month, unit_for_token, uploads_folder
from kexie_xl.cli import cli
from kexie_xl.schema import city as C
from kexie_xl.web.app import create_app

WANZHOU = "2026-11_万州区科协_科技志愿服务月报.xlsx"  # clean in the demo
BEIBEI = "2026-11_北碚区科协_科技志愿服务月报.xlsx"


@pytest.fixture
def office(demo: tuple[Path, dict], tmp_path: Path) -> Context:
    """The demo's settings with a store of its own in a temporary folder."""
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    paths = replace(ctx.settings.paths, store=tmp_path / "office" / "kexie_store.sqlite", archive=None)
    return Context(replace(ctx.settings, paths=paths), ctx.registry)


def test_only_a_hash_is_kept_and_a_new_link_or_revoking_ends_the_old(office: Context, tmp_path: Path) -> None:
    unit, token = issue_link(office, "万州区科协")
    stored = (tmp_path / "office" / "upload-links.json").read_text(encoding="utf-8")
    assert token not in stored and unit.code in stored and len(token) >= 32
    assert unit_for_token(office, token) == unit
    assert unit_for_token(office, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    _unit, newer = issue_link(office, "500101")  # the code names the same unit
    assert unit_for_token(office, token) is None and unit_for_token(office, newer) == unit
    assert revoke_link(office, "万州区科协") == (unit, True) and unit_for_token(office, newer) is None
    assert revoke_link(office, "万州区科协") == (unit, False)


def test_the_office_issues_a_link_from_the_command_line(demo: tuple[Path, dict], tmp_path: Path) -> None:
    config = tmp_path / "kexie.toml"
    config.write_text(f'[paths]\nstore = "{(tmp_path / "s.sqlite").as_posix()}"\n', encoding="utf-8")
    done = CliRunner().invoke(
        cli, ["--config", str(config), "office", "link", "涪陵区科协", "--base-url", "http://10.0.0.5:8023/"]
    )
    assert done.exit_code == 0, done.output
    token = re.search(r"http://10\.0\.0\.5:8023/u/(\S+)", done.output)
    assert token and token[1] not in (tmp_path / "upload-links.json").read_text(encoding="utf-8")
    unknown = CliRunner().invoke(cli, ["--config", str(config), "office", "link", "不存在的单位"])
    assert unknown.exit_code != 0 and "单位名录中没有" in unknown.output


def test_an_upload_through_the_link_is_the_units_report(office: Context, demo: tuple[Path, dict], tmp_path: Path) -> None:
    out, _manifest = demo
    unit, token = issue_link(office, "万州区科协")
    with TestClient(create_app(office)) as client:
        wrong = client.get("/u/not-a-link")
        assert wrong.status_code == 404 and "无效或已被收回" in wrong.text
        page = client.get(f"/u/{token}")
        assert page.status_code == 200 and "万州区科协：报送月报" in page.text and f'action="/u/{token}"' in page.text
        sent = client.post(f"/u/{token}", files={"file": ("../../月报.xlsx", (out / "workbooks" / WANZHOU).read_bytes())})
        assert sent.status_code == 200 and "已收到「月报.xlsx」" in sent.text
        other = client.post(f"/u/{token}", files={"file": (BEIBEI, (out / "workbooks" / BEIBEI).read_bytes())})
        assert other.status_code == 200 and "已收到" in other.text
        junk = client.post(f"/u/{token}", files={"file": ("说明.xlsx", b"not a workbook at all")})
        assert "没有交给市科协" in junk.text
    kept = sorted((uploads_folder(office) / "2026-11").iterdir())
    sidecars = [json.loads(p.read_text(encoding="utf-8")) for p in kept if p.name.endswith(".upload.json")]
    assert sorted(s["name"] for s in sidecars) == sorted(["月报.xlsx", BEIBEI]) and {s["unit"] for s in sidecars} == {unit.code}
    assert all(".." not in p.name and "月报" not in p.name for p in kept)  # names of our own, never the sent name

    result = run_month(office, "2026-11", fetch=False, output=tmp_path / "city.xlsx")
    ledger = {r[1]: r for r in openpyxl.load_workbook(result.consolidation.output)[C.INTAKE].iter_rows(values_only=True)}
    header = next(r for r in ledger.values() if "状态" in r)
    col = {name: header.index(name) for name in ("状态", "原因", "时间依据")}
    mine, theirs = ledger["月报.xlsx"], ledger[BEIBEI]
    assert mine[col["状态"]] == C.ADOPTED and mine[col["时间依据"]] == C.BY_UPLOAD
    assert theirs[col["状态"]] == C.REJECTED and "通过「万州区科协」的专用上传链接上传" in theirs[col["原因"]]
    line = next(u for u in result.consolidation.city.units if u.unit.code == unit.code)
    assert line.status == C.LATE and line.received_by == C.BY_UPLOAD  # uploaded today, after the 23rd: evidence
    # the refused workbook is answered at the link unit's registered address, as a mail from it would be
    assert [d.to for d in result.drafts if d.to == unit.senders[0]] and not [d for d in result.drafts if "上传链接" in d.to]
