"""The IAM evaluator of the local run: npm @cloud-copilot/iam-simulate in one long-lived node
worker (worker.js beside this file), JSON lines over stdin/stdout, decisions cached.

One worker per process, started on first use and ended at exit; a decision is asked once per
(role policies, action, resource, context, resource policy) and then answered from the cache.
"""

import atexit
import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]  # the checkout: package.json and node_modules/
WORKER = Path(__file__).with_name("worker.js")

ALLOWED = "Allowed"
EXPLICIT_DENY = "ExplicitlyDenied"


class EvaluatorError(RuntimeError):
    """iam-simulate refused a policy or a request (a bug in the template or the request table),
    or the worker is missing: never read as a decision."""


@dataclass(frozen=True)
class Decision:
    result: str  # Allowed | ImplicitlyDenied | ExplicitlyDenied

    @property
    def allowed(self) -> bool:
        return self.result == ALLOWED


@dataclass(frozen=True)
class Question:
    """One request to decide: who (principal, the key of its registered identity policies), what
    (action on resource, in account), with which condition keys, and the resource's policy (its
    registered key) when it has one."""

    principal: str
    policies: str
    action: str
    resource: str
    account: str
    context: Mapping[str, str | list[str]]
    resource_policy: str | None = None


def policies_key(policies: Sequence[Mapping[str, Any]]) -> str:
    text = json.dumps(list(policies), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class Evaluator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._registered: set[str] = set()
        self._cache: dict[str, Decision] = {}
        self.asked = 0  # decisions the worker computed (not answered from the cache)

    # --- worker ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker now (it loads in the background while the stack is created)."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        node = shutil.which("node")
        if node is None or not (ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
            raise EvaluatorError(
                "the IAM evaluator needs node and node_modules/@cloud-copilot/iam-simulate: run `make setup`"
            )
        self._proc = subprocess.Popen(
            [node, str(WORKER), str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._registered.clear()
        atexit.register(self.close)
        return self._proc

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None and proc.stdin is not None:
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()

    def _ask(self, message: Mapping[str, Any]) -> dict[str, Any]:
        proc = self._ensure()
        if proc.stdin is None or proc.stdout is None:  # pragma: no cover - Popen with PIPEs has both
            raise EvaluatorError("the IAM worker has no pipes")
        proc.stdin.write(json.dumps(message, separators=(",", ":")) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise EvaluatorError(f"the IAM worker ended (exit code {proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise EvaluatorError(f"iam-simulate refused {message.get('op')}: {answer['error']}")
        return answer

    # --- decisions ---------------------------------------------------------------------------
    def register(self, key: str, policies: Sequence[Mapping[str, Any]], *, resource: bool = False) -> None:
        with self._lock:
            if key in self._registered and self._proc is not None:
                return
            if resource:
                self._ask({"op": "resourcePolicy", "key": key, "policy": policies[0]})
            else:
                self._ask({"op": "policies", "key": key, "policies": list(policies)})
            self._registered.add(key)

    def decide(self, question: Question) -> Decision:
        message = {
            "op": "decide",
            "principal": question.principal,
            "policies": question.policies,
            "resourcePolicy": question.resource_policy,
            "action": question.action,
            "resource": question.resource,
            "account": question.account,
            "context": dict(question.context),
        }
        policies, resource_policy = question.policies, question.resource_policy
        action, resource = question.action, question.resource
        cache_key = json.dumps(message, sort_keys=True)
        with self._lock:
            hit = self._cache.get(cache_key)
            if hit is not None:
                return hit
            known = self._registered
            if policies not in known or (resource_policy and resource_policy not in known):
                raise EvaluatorError(f"policies {policies} / {resource_policy} were not registered")
            answer = self._ask(message)
            self.asked += 1
            if answer.get("ignored"):
                # A context key AWS does not supply for this action: the request table is wrong.
                raise EvaluatorError(f"{action} on {resource}: iam-simulate ignored {answer['ignored']}")
            decision = Decision(str(answer["result"]))
            self._cache[cache_key] = decision
            return decision


_EVALUATOR = Evaluator()


def evaluator() -> Evaluator:
    """The process's one evaluator."""
    return _EVALUATOR
