"""Start-up caches of the local run (netaudit_local.cloud.startup): each reads or derives once,
and none lets through what moto would refuse."""

from contextlib import ExitStack
from pathlib import Path

import pytest

from netaudit_local.cloud import startup
from netaudit_local.cloud.stepfunctions import for_moto
from netaudit_local.stack import placeholder_resolver, render_definition
from netaudit_local.template import TEMPLATE_PATH, load_template


def _definition() -> str:
    template = load_template(TEMPLATE_PATH)
    return for_moto(render_definition(template, placeholder_resolver(template), TEMPLATE_PATH.parent))


def _moto_parse():  # type: ignore[no-untyped-def]
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    return AmazonStateLanguageParser.parse


def _state_names(program: object) -> list[str]:
    states = program.states.states  # type: ignore[attr-defined]
    return sorted(states)


def test_a_definition_is_parsed_once_then_unpickled_fresh(tmp_path: Path) -> None:
    definition = _definition()
    first = startup.ParsedDefinitions(_moto_parse(), tmp_path)
    program, tree = first.parse(definition)
    assert first.parsed == 1 and tree is not None
    again, _ = first.parse(definition)
    assert first.parsed == 1  # from memory
    assert again is not program and _state_names(again) == _state_names(program)  # a fresh copy
    # another process: from the file, no parse at all
    second = startup.ParsedDefinitions(_moto_parse(), tmp_path)
    from_file, no_tree = second.parse(definition)
    assert second.parsed == 0 and no_tree is None
    assert _state_names(from_file) == _state_names(program)


def test_a_refused_definition_is_refused_every_time_and_never_kept(tmp_path: Path) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

    definitions = startup.ParsedDefinitions(_moto_parse(), tmp_path)
    bad = '{"StartAt": "Nowhere", "States": {"A": {"Type": "NoSuchType", "End": true}}}'
    for _ in range(2):
        with pytest.raises(ASLParserException):
            definitions.parse(bad)
    assert not list((tmp_path / "asl").glob("*.pickle"))


def test_a_damaged_cache_file_is_parsed_again_and_rewritten(tmp_path: Path) -> None:
    definition = _definition()
    startup.ParsedDefinitions(_moto_parse(), tmp_path).parse(definition)
    (kept,) = (tmp_path / "asl").glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    fresh = startup.ParsedDefinitions(_moto_parse(), tmp_path)
    program, _ = fresh.parse(definition)
    assert fresh.parsed == 1 and _state_names(program)
    assert kept.read_bytes() != b"not a pickle"


def test_every_botocore_session_reads_through_one_loader() -> None:
    import boto3
    import botocore.session

    with ExitStack() as stack:
        startup.share_botocore_loader(stack)
        one = botocore.session.get_session().get_component("data_loader")
        two = boto3.Session()._session.get_component("data_loader")
        assert one is two
        own = botocore.session.get_session({"data_path": ("data_path", None, "/nowhere", None)})
        own.set_config_variable("data_path", "/nowhere")
        assert own.get_component("data_loader") is not one
    after = botocore.session.get_session().get_component("data_loader")
    assert after is not one  # only while the local run is on


def test_the_endpoint_prefixes_given_are_botocores_and_the_region_lists_unchanged() -> None:
    import botocore.session

    plain = botocore.session.get_session()
    for service, prefix in startup.ENDPOINT_PREFIXES.items():
        assert plain.get_service_data(service)["metadata"]["endpointPrefix"] == prefix
    wanted = {p: plain.get_available_regions("ec2", p) for p in plain.get_available_partitions()}
    with ExitStack() as stack:
        startup.share_botocore_loader(stack)
        session = botocore.session.get_session()
        assert {p: session.get_available_regions("ec2", p) for p in wanted} == wanted
        assert "us-east-1" in wanted["aws"]


def test_motos_tolerated_failure_warning_is_the_only_one_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    preprocessor = logging.getLogger("moto.stepfunctions.parser.asl.parse.preprocessor")
    with ExitStack() as stack, caplog.at_level(logging.WARNING):
        startup.parse_definitions_once(stack)
        startup.ParsedDefinitions(_moto_parse(), tmp_path).parse(_definition())  # a first parse
        preprocessor.warning("another warning of moto's ASL preprocessor")
    assert startup.TOLERATED_WARNING not in caplog.text
    assert "another warning of moto's ASL preprocessor" in caplog.text


@pytest.mark.docker
def test_a_demo_with_input_prints_no_moto_warning(tmp_path: Path, docker_engine: None) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "NETAUDIT_CACHE_DIR": str(tmp_path)}  # nothing parsed yet: moto parses
    done = subprocess.run(
        [sys.executable, "-m", "netaudit_cli", "demo", "--input", "events/start-canary-none.json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=TEMPLATE_PATH.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ToleratedFailurePercentage" not in done.stdout + done.stderr
