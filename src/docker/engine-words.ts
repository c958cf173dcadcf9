/**
 * What the Docker engine's state is, and the sentences that say so. The one place of this
 * wording: `doctor` prints it, and scripts/lib/docker-engine.sh (quickstart.sh,
 * setup-test-env.sh) prints the same sentences for the same situations
 * (test/unit/engine-detect.test.ts holds the two equal).
 */
export type EngineSituation =
  | { kind: "ok"; version: string; apiVersion: string; host: string }
  | { kind: "host-down"; host: string }
  | { kind: "context-down"; context: string }
  | { kind: "permission-denied"; socket: string }
  | { kind: "dockerd-hung"; pid: number; host: string }
  | { kind: "unit-stopped" }
  | { kind: "dockerd-stopped"; dockerd: string }
  | { kind: "no-engine" }
  // Said by the scripts only: what happened when they tried to start or install an engine.
  | { kind: "start-failed"; what: string; log: string }
  | { kind: "no-client" }
  | { kind: "no-installer"; pkg: string }
  | { kind: "install-needs-root"; pkg: string }
  | { kind: "install-failed"; pkg: string };

export type EngineKind = EngineSituation["kind"];

export interface EngineWords {
  detail: string;
  /** Empty when the situation needs nothing done. */
  hint: string;
}

/** The detail and hint for a situation. Change a sentence here and in scripts/lib/docker-engine.sh together. */
export function engineWords(s: EngineSituation): EngineWords {
  switch (s.kind) {
    case "ok":
      return { detail: `Docker ${s.version}, API ${s.apiVersion} at ${s.host}`, hint: "" };
    case "host-down":
      return {
        detail: `the Docker engine at DOCKER_HOST=${s.host} does not answer`,
        hint: "DOCKER_HOST is set, so only that engine is used (none is started or installed here): start it, or unset DOCKER_HOST to use a local one.",
      };
    case "context-down":
      return {
        detail: `the Docker engine of the docker context "${s.context}" does not answer`,
        hint: "That context is in use, so only its engine is used (none is started or installed here): start it, or run `docker context use default`.",
      };
    case "permission-denied":
      return {
        detail: `permission denied on ${s.socket}: this user may not use the Docker engine`,
        hint: "Run as root, or add this user to the docker group (usermod -aG docker USER) and log in again.",
      };
    case "dockerd-hung":
      return {
        detail: `dockerd is running (pid ${s.pid}) but does not answer at ${s.host}`,
        hint: "Read its log (journalctl -u docker.service, or the file it writes to), then restart it.",
      };
    case "unit-stopped":
      return {
        detail: "the Docker engine is installed (docker.service) but not running",
        hint: "Start it: systemctl start docker.service",
      };
    case "dockerd-stopped":
      return {
        detail: `the Docker engine is installed (${s.dockerd}) but not running`,
        hint: `Start it as root, detached with a log file: setsid ${s.dockerd} </dev/null >>/var/log/dockerd.log 2>&1 &`,
      };
    case "no-engine":
      return {
        detail: "no Docker engine is installed: no dockerd on PATH, no docker.service",
        hint: "Install one (Debian/Ubuntu: apt-get install docker.io), or set DOCKER_HOST to an engine elsewhere.",
      };
    case "start-failed":
      return { detail: `${s.what} was started but did not come up`, hint: `Read ${s.log} for why.` };
    case "no-client":
      return {
        detail: "the docker command is not installed, though a Docker engine is",
        hint: "Install the docker client (Debian/Ubuntu: apt-get install docker.io).",
      };
    case "no-installer":
      return {
        detail: `no Docker engine is installed, and there is no apt-get here to install ${s.pkg}`,
        hint: "Install a Docker engine (https://docs.docker.com/engine/install/), or set DOCKER_HOST to an engine elsewhere.",
      };
    case "install-needs-root":
      return {
        detail: `no Docker engine is installed, and installing ${s.pkg} needs root`,
        hint: `Run as root, or install ${s.pkg} yourself.`,
      };
    case "install-failed":
      return {
        detail: `apt-get could not install ${s.pkg}`,
        hint: "Read apt-get's messages above; fix the package sources and run again.",
      };
  }
}
