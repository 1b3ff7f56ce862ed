"""E-mail digests through a real SMTP server (aiosmtpd): one per owner with an address,
new files only, no values, and nothing again until something new is found."""

from __future__ import annotations

from click.testing import CliRunner

from pvscan.cli import main


def _config(corpus, tmp_path, smtp_server) -> str:
    cfg = tmp_path / "org.toml"
    home = corpus.root / "home"
    cfg.write_text(
        f"""base_url = "https://pvscan.kommune.test"
[users.kari]
unit = "oppvekst"
email = "kari@kommune.test"
[users.ola]
email = "ola@kommune.test"
[[roots]]
path = "{home}"
home = "{home}/{{user}}/"
[smtp]
host = "{smtp_server.host}"
port = {smtp_server.port}
sender = "pvscan@kommune.test"
""",
        encoding="utf-8",
    )
    return str(cfg)


def test_digest_per_owner_then_nothing_new(corpus, tmp_path, smtp_server, monkeypatch):
    monkeypatch.setenv("PVSCAN_LANG", "nb")
    cfg = _config(corpus, tmp_path, smtp_server)
    r = CliRunner().invoke(main, ["notify", "--db", corpus.db, "--config", cfg])
    assert r.exit_code == 0, r.output
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert set(by_to) == {"kari@kommune.test", "ola@kommune.test"}
    body = by_to["kari@kommune.test"].get_payload(decode=True).decode()
    assert "helsenotat.docx" in body and "lonn.docx" not in body
    assert "https://pvscan.kommune.test/" in body
    assert not any(n in body or n[:6] in body for n in corpus.numbers)
    assert by_to["kari@kommune.test"]["Subject"].startswith("pvscan: 4 nye filer")
    # A second run right after finds nothing new.
    r = CliRunner().invoke(main, ["notify", "--db", corpus.db, "--config", cfg])
    assert "no digests due" in r.output
    assert len(smtp_server.messages) == 2


def test_dry_run_sends_nothing(corpus, tmp_path, smtp_server):
    cfg = _config(corpus, tmp_path, smtp_server)
    r = CliRunner().invoke(main, ["notify", "--db", corpus.db, "--config", cfg, "--dry-run"])
    assert "would send: kari" in r.output
    assert smtp_server.messages == []
