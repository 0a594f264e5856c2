"""`newform dev` (`make run`): start the stack, print how to use it, supervise it until interrupted,
then stop everything in order."""

from __future__ import annotations

import signal
import time

from .stack import DEMO_PLATFORM, Stack, StackFailure, Supervisor, say


def run_stack(stack: Stack) -> int:
    """Start everything, print how to use it, and supervise it until SIGINT or SIGTERM; then stop
    everything (within about 25 s)."""

    def interrupt(signum, _frame):
        # Once: a second Ctrl-C while stopping must not cut the stopping short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    # Both explicitly: a process started in the background by a non-interactive shell inherits
    # SIGINT as ignored, and a supervisor stops with SIGTERM; either way everything must stop.
    # The servers run in sessions of their own, so a signal to our process group reaches only us,
    # and we stop them in order.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    stack.check_ports_free()
    code = 0
    try:
        stack.start_infrastructure()
        stack.provision_topics()
        say("running migrations")
        stack.migrate()
        say(f"starting services: {', '.join(stack.services) or '(none yet)'}")
        stack.start_services()
        demo = stack.seed_demo()  # needs the services only: while Keycloak may still be getting ready
        stack.wait_identity_provider()
        print_welcome(stack, demo)
        supervisor = Supervisor(stack)
        while True:
            supervisor.tick()
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("interrupted")
    except StackFailure as exc:
        say(str(exc))
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("stopping …")
        stack.stop()
        say("stopped. `make run` starts again on the same data.")
    return code


def print_welcome(stack: Stack, demo_platform: str | None) -> None:
    """The URLs, and how to sign in: through the identity provider when it runs (demo people and the
    platform's client credentials), else with the printed tokens (`--no-idp`)."""
    lines = ["", "newform is running:"]
    width = max([len("PostgreSQL"), *(len(name) for name in stack.services)])

    def row(label: str, text: str) -> str:
        return f"  {label:<{width}} {text}"

    for name in stack.services:
        port = stack.port(name)
        count = stack.replicas_of(name)
        behind = f", {count} replicas behind a balancer" if count > 1 else ""
        lines.append(row(name, f"http://{stack.host}:{port}   (API docs: http://{stack.host}:{port}/docs{behind})"))
    gateway = f"http://{stack.host}:{stack.port('gateway')}" if "gateway" in stack.services else None
    if gateway and stack.identity_provider is None:
        lines.append(row("dashboard", f"{gateway}/   (sign in with the regulator token)"))
    nodes = f"   ({stack.kafka_brokers} KRaft nodes)" if stack.kafka_brokers > 1 else ""
    lines.append(row("Kafka", f"{stack.kafka.bootstrap_servers}{nodes}"))
    lines.append(row("PostgreSQL", stack.postgres.url("postgres")))
    lines.append(row("logs", str(stack.data_dir / "logs")))
    lines.append("")
    if stack.identity_provider is not None:
        lines.extend(stack.identity_provider.welcome(gateway))
        lines.append("")
        lines.append("Tokens for scripts: .venv/bin/newform token --help    Stop: Ctrl-C")
    else:
        lines.append("regulator token (12 h):")
        lines.append("  " + stack.keys.mint("regulator", subject="dev-regulator"))
        platform = demo_platform or DEMO_PLATFORM
        lines.append(f"demo platform token for '{platform}' (12 h):")
        lines.append("  " + stack.keys.mint("platform", subject=f"dev-{platform}", platform_id=platform))
        lines.append("")
        lines.append("More tokens: .venv/bin/newform token --help    Stop: Ctrl-C")
    print("\n".join(lines), flush=True)
