"""What a local run's start-up spent on data it had already read, now read once.

- **botocore's data files.** Each botocore Session builds its own Loader, and a Loader caches
  what it read only for itself: moto creates a Session per region list (three while `moto.ec2`
  is imported, one per account's backends), each parsing the whole EC2 model again to learn its
  endpoint prefix (~80 ms each), and boto3's default session parsed each client's model once
  more; moto's own Loader (models with moto's extras) was new for every service too. The files
  are read-only package data: one Loader for every Session, one for moto, read each file once.
- **The EC2 model.** moto asks botocore for EC2's region list (at import, and for each account),
  and botocore parses the whole EC2 model (the largest: ~0.1 s a parse, twice with moto's own
  copy) for one field, the endpoint prefix: given here (ENDPOINT_PREFIXES). The local stack
  creates its VPC and instances through moto's EC2 backend, so no EC2 model is parsed at all.
- **moto's EC2 catalogue.** ECS needs moto's EC2, whose import reads ~90 files of instance type
  offerings (every Region) that a local run never asks for: each is read on first use instead.
- **The state machine's definition.** moto parses a definition with its ANTLR grammar when the
  state machine is created (to validate it) and when each execution starts: ~0.2 s for the
  project's ASL, the slowest single step of a local run's start-up. The parsed program is
  pickled the first time a definition parses and kept, per definition text, moto version and
  Python version, in memory and in `CACHE_DIR`; each parse after that unpickles a fresh copy
  (~1 ms). A definition moto refuses is never kept, so it is refused again every time.

Never imported by a Lambda.
"""

import hashlib
import logging
import os
import pickle  # only our own files, written below from moto's own parse
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from netaudit_local.cloud import moto_patches

CACHE_DIR = Path(
    os.environ.get("NETAUDIT_CACHE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecs-netaudit"
)


# botocore's models' metadata.endpointPrefix of the services whose region list moto asks for but
# whose model the local run never needs otherwise (tests/local/test_startup.py checks each one)
ENDPOINT_PREFIXES = {"ec2": "ec2"}


def share_botocore_loader(stack: ExitStack) -> None:
    """Every botocore Session created while `stack` is open (and boto3's default one) reads
    botocore's data through one Loader. A Session given its own data path keeps its own."""
    import boto3
    import botocore.loaders

    original = botocore.loaders.create_loader
    shared = original()

    def create_loader(search_path_string: Any = None) -> Any:
        return shared if search_path_string is None else original(search_path_string)

    moto_patches.patch(stack, "botocore.create_loader", create_loader)
    moto_patches.wrap(stack, "botocore.regions", _available_regions)
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    # moto reads each service's model (with its own extras) through a new Loader per service,
    # each listing botocore's ~400 service directories again: one moto Loader for all of them
    from moto.core.loaders import create_loader as create_moto_loader

    moto_loader = create_moto_loader()
    moto_patches.patch(stack, "moto.create_loader", lambda: moto_loader)


def _available_regions(original_regions: Any) -> Any:
    def get_available_regions(
        self: Any, service_name: str, partition_name: str = "aws", allow_non_regional: bool = False
    ) -> Any:
        """botocore's, without parsing a whole model (EC2's: ~5 MB of JSON) for its endpoint prefix."""
        prefix = ENDPOINT_PREFIXES.get(service_name)
        if prefix is None:
            return original_regions(self, service_name, partition_name, allow_non_regional)
        resolver = self._get_internal_component("endpoint_resolver")
        return resolver.get_available_endpoints(prefix, partition_name, allow_non_regional)

    return get_available_regions


_OFFERINGS = "ec2/resources/instance_type_offerings/"


class _LazyOfferings(dict[str, Any]):
    """moto's INSTANCE_TYPE_OFFERINGS[location type]: region -> offerings, each region's file read
    (and marked with its location type, as moto's import does) the first time it is asked for."""

    def __init__(self, location_type: str, paths: dict[str, str], load: Callable[[str], Any]) -> None:
        super().__init__()
        self._location_type = location_type
        self._paths = paths
        self._read = load
        self._lock = threading.Lock()

    def _load(self, region: Any) -> None:
        with self._lock:
            path = self._paths.pop(region, None)
            if path is not None:
                offerings = self._read(path)
                for offering in offerings:
                    offering["LocationType"] = self._location_type
                dict.__setitem__(self, region, offerings)

    def _load_all(self) -> None:
        for region in list(self._paths):
            self._load(region)

    def __getitem__(self, region: str) -> Any:
        self._load(region)
        return super().__getitem__(region)

    def get(self, region: str, default: Any = None) -> Any:
        self._load(region)
        return super().get(region, default)

    def __contains__(self, region: object) -> bool:
        return region in self._paths or super().__contains__(region)

    def __iter__(self) -> Any:
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        return len(self._paths) + super().__len__()

    def keys(self) -> Any:
        self._load_all()
        return super().keys()

    def values(self) -> Any:
        self._load_all()
        return super().values()

    def items(self) -> Any:
        self._load_all()
        return super().items()


def import_moto_ec2() -> None:
    """Import moto's EC2 (ECS needs it) without reading its instance type offerings: ~90 gzipped
    JSON files, one per Region and location type, read at import (~0.13 s) though a local run
    never asks for them; each is read the first time moto asks for its Region. Nothing to do
    when moto.ec2 is already imported."""
    import sys as _sys

    if "moto.ec2" in _sys.modules:
        return
    import moto.utilities.utils as moto_utils

    original = moto_utils.load_resource
    deferred: dict[str, dict[str, str]] = {}

    def load_resource(path: str, *args: Any, **kwargs: Any) -> Any:
        if path.startswith(_OFFERINGS) and not args and not kwargs:
            location_type, file_name = path[len(_OFFERINGS) :].split("/", 1)
            deferred.setdefault(location_type, {})[file_name.split(".")[0]] = path
            return []
        return original(path, *args, **kwargs)

    with ExitStack() as importing:
        moto_patches.patch(importing, "moto.load_resource", load_resource)
        instance_types = moto_patches.import_ec2_instance_types()
    moto_patches.keep_instance_types(
        instance_types,
        original,
        {kind: _LazyOfferings(kind, paths, original) for kind, paths in deferred.items()},
    )


Parse = Callable[[str], tuple[Any, Any]]


class ParsedDefinitions:
    """moto's `AmazonStateLanguageParser.parse`, each definition text parsed once (module doc).
    Returns (program, parse tree); the tree (used by no code path of the local run) is None
    when the program comes from the cache."""

    def __init__(self, parse: Parse, directory: Path = CACHE_DIR) -> None:
        import moto

        self._parse = parse
        self._directory = directory / "asl"
        self._salt = f"{moto.__version__}\0{sys.version}\0"
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.parsed = 0  # definitions moto parsed in this process (the rest came from the cache)

    def _key(self, definition: str) -> str:
        return hashlib.sha256((self._salt + definition).encode()).hexdigest()

    def parse(self, definition: str) -> tuple[Any, Any]:
        key = self._key(definition)
        blob = self._memory.get(key) or self._read(key)
        if blob is not None:
            try:
                return pickle.loads(blob), None  # noqa: S301 - our own file of moto's own parse
            except Exception:  # noqa: S110 - a damaged or stale file: parse again, rewrite it
                pass
        program, tree = self._parse(definition)  # a refused definition raises: never kept
        self.parsed += 1
        try:
            blob = pickle.dumps(program)  # before any execution ran it
        except Exception:  # a program that does not pickle is parsed every time, as by moto
            return program, tree
        with self._lock:
            self._memory[key] = blob
        self._write(key, blob)
        return program, tree

    def _read(self, key: str) -> bytes | None:
        try:
            blob = (self._directory / f"{key}.pickle").read_bytes()
        except OSError:
            return None
        with self._lock:
            self._memory[key] = blob
        return blob

    def _write(self, key: str, blob: bytes) -> None:
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self._directory, delete=False, suffix=".tmp") as fh:
                fh.write(blob)
            os.replace(fh.name, self._directory / f"{key}.pickle")  # whole or not at all
        except OSError:
            pass  # a read-only home: the next process parses again


_DEFINITIONS: ParsedDefinitions | None = None
# moto logs this at every parse of the cluster Map (ToleratedFailurePercentage 100,
# statemachine/build_asl.py: moto stepfunctions/parser/asl/parse/preprocessor.py); it says nothing
# a user of the local run can act on, and it broke the demo's output. Only this one is dropped.
TOLERATED_WARNING = (
    "ToleratedFailurePercentage declarations currently have no effect on the program evaluation."
)


def _not_tolerated_warning(record: logging.LogRecord) -> bool:
    return record.getMessage() != TOLERATED_WARNING


def parse_definitions_once(stack: ExitStack) -> ParsedDefinitions:
    """moto's definition parser, through the process's one `ParsedDefinitions`, while `stack`
    is open."""
    global _DEFINITIONS
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    if _DEFINITIONS is None:
        _DEFINITIONS = ParsedDefinitions(AmazonStateLanguageParser.parse)
    preprocessor = logging.getLogger("moto.stepfunctions.parser.asl.parse.preprocessor")
    if _not_tolerated_warning not in preprocessor.filters:
        preprocessor.addFilter(_not_tolerated_warning)
    definitions = _DEFINITIONS
    moto_patches.patch(stack, "sfn.parse", staticmethod(definitions.parse))
    return definitions
