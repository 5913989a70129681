#!/bin/sh
# ecs-netaudit host probe (probe document schemaVersion 1): POSIX sh + docker + nsenter + ip.
# The one source of the script: template.yaml's ProbeDocument carries a copy of this file written
# by `netaudit_local.template --write` (a test fails when they differ).
# Reads only; runs nothing inside containers; never prints environment variables.
# Input: $SSM_taskArn (optional; the document's ENV_VAR parameter, never put into this text).
# Prints ONE compact JSON line. Every value in it is JSON-encoded by docker's template `json`
# or by `ip -j`, or has a fixed checked format (pids, net:[N], hex ids, fixed messages).
PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH
set -f

# SSM reads two open braces in a document as the start of a parameter reference (a declared
# name, or ssm:<name> that the service resolves from Parameter Store before the agent runs:
# docs.aws.amazon.com/systems-manager/latest/userguide/documents-syntax-data-elements-parameters.html;
# the agent substitutes declared names, amazon-ssm-agent agent/parameters/parameters.go). So this
# text holds none: docker templates below write "%{" and go_template turns each into two open
# braces at run time. This is the only brace trick.
o='{'
o="$o$o"
go_template() {
  rest=$1
  done_=''
  while :; do
    case "$rest" in
      *'%{'*) done_="$done_${rest%%'%{'*}$o"; rest=${rest#*'%{'} ;;
      *) printf '%s' "$done_$rest"; return 0 ;;
    esac
  done
}

errs=''
err() { errs="$errs${errs:+,}{\"message\":\"$1\"}"; }
errc() { errs="$errs${errs:+,}{\"container\":\"$1\",\"message\":\"$2\"}"; }
errn() { errs="$errs${errs:+,}{\"netns\":\"$1\",\"message\":\"$2\"}"; }
is_ns() {
  n=${1#net:\[}
  n=${n%\]}
  case "$n" in '' | *[!0-9]*) return 1 ;; esac
  [ "$1" = "net:[$n]" ]
}
is_hex() { case "$1" in '' | *[!0-9a-f]*) return 1 ;; esac; return 0; }

f="${SSM_taskArn:-}"
run=1
case "$f" in *[!A-Za-z0-9:/_-]*) err "taskArn filter rejected: not an ECS task ARN"; f=''; run=0 ;; esac
hostns=$(readlink "/proc/$$/ns/net" 2>/dev/null)
is_ns "$hostns" || { hostns=''; err "cannot read the host netns"; }
cs=''
nss=''
pairs=''
seen=' '
if [ "$run" = 1 ] && ! command -v docker >/dev/null 2>&1; then
  err "docker CLI not found: this host cannot be probed (no docker)"
  run=0
fi
if [ "$run" = 1 ]; then
  lf='label=com.amazonaws.ecs.task-arn'
  [ -n "$f" ] && lf="$lf=$f"
  # "<id> <task ARN as JSON>" a line: a container gone before docker inspect is then reported
  # for its task only (the agent keeps stopped tasks' containers ~3 h, then removes them)
  P=$(go_template '%{.ID}} %{json (.Label "com.amazonaws.ecs.task-arn")}}')
  if rows=$(docker ps -a --no-trunc --filter "$lf" --format "$P" 2>/dev/null); then :; else err "docker ps failed"; rows=''; fi
  listed=' '
  set --
  while read -r id arn; do
    is_hex "$id" || continue
    a=${arn#\"}
    a=${a%\"}
    case "$arn" in '"'*'"') ;; *) a='' ;; esac
    case "$a" in *[!A-Za-z0-9:/_-]*) a='' ;; esac # only an ARN's characters reach the output
    arn="\"$a\""
    set -- "$@" "$id"
    listed="$listed$id=$arn "
  done <<EOT
$rows
EOT
  # One docker inspect for every container: "<pid> {<json fields>" a line. $k, $v and $s are
  # Go template variables, not shell ones.
  # shellcheck disable=SC2016
  T=$(go_template '%{.State.Pid}} {"id":%{json .Id}},"name":%{json (slice .Name 1)}},"image":%{json .Config.Image}},'\
'"taskArn":%{json (index .Config.Labels "com.amazonaws.ecs.task-arn")}},'\
'"containerName":%{json (index .Config.Labels "com.amazonaws.ecs.container-name")}},'\
'"cluster":%{json (index .Config.Labels "com.amazonaws.ecs.cluster")}},'\
'"taskDefinitionFamily":%{json (index .Config.Labels "com.amazonaws.ecs.task-definition-family")}},'\
'"taskDefinitionVersion":%{json (index .Config.Labels "com.amazonaws.ecs.task-definition-version")}},'\
'"state":%{json .State.Status}},"pid":%{json .State.Pid}},"networkMode":%{json .HostConfig.NetworkMode}},'\
'"networks":{ %{$s := ""}}%{range $k, $v := .NetworkSettings.Networks}}%{$s}}%{json $k}}:'\
'{"IPAddress":%{json $v.IPAddress}},"IPPrefixLen":%{json $v.IPPrefixLen}},"Gateway":%{json $v.Gateway}},'\
'"GlobalIPv6Address":%{json $v.GlobalIPv6Address}},"GlobalIPv6PrefixLen":%{json $v.GlobalIPv6PrefixLen}},'\
'"MacAddress":%{json $v.MacAddress}}}%{$s = ","}}%{end}}}')
  out=''
  if [ "$#" -gt 0 ]; then
    # exits 1 when a listed container is gone, and still prints every other one
    out=$(docker inspect -f "$T" "$@" 2>/dev/null) || :
  fi
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    pid=${line%% *}
    obj=${line#* }
    id=${obj#'{"id":"'}
    id=${id%%'"'*}
    case "$pid" in '' | *[!0-9]*) err "unexpected docker inspect output"; continue ;; esac
    case "$obj" in '{"id":"'*) ;; *) err "unexpected docker inspect output"; continue ;; esac
    is_hex "$id" || { err "unexpected docker inspect output"; continue; }
    ns=''
    if [ "$pid" -gt 0 ]; then
      ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null)
      is_ns "$ns" || { ns=''; errc "$id" "cannot read the netns of pid $pid"; }
    fi
    cs="$cs${cs:+,}$obj,\"netns\":\"$ns\"}"
    if [ -n "$ns" ] && [ "$ns" != "$hostns" ]; then
      case "$seen" in
        *" $ns "*) ;;
        *)
          seen="$seen$ns "
          pairs="$pairs$ns $pid $id
"
          ;;
      esac
    fi
  done <<EOT
$out
EOT
  for id in "$@"; do
    case "$cs" in
      *'{"id":"'"$id"'"'*) ;;
      *)
        arn=${listed#*" $id="}
        arn=${arn%% *}
        errs="$errs${errs:+,}{\"container\":\"$id\",\"taskArn\":$arn,\"message\":\"container vanished before it was inspected\"}"
        ;;
    esac
  done
  while read -r ns pid id; do
    [ -n "$ns" ] || continue
    a=$(nsenter -t "$pid" -n ip -j addr show 2>/dev/null) || a=''
    # `table all` lists the routes of every family (IPv6 too); `ip route show` alone: IPv4 main
    r=$(nsenter -t "$pid" -n ip -j route show table all 2>/dev/null) || r=''
    now=$(readlink "/proc/$pid/ns/net" 2>/dev/null)
    if [ "$now" != "$ns" ]; then errn "$ns" "netns changed while probing (pid $pid of $id)"; continue; fi
    case "$a" in '['*']') ;; *) errn "$ns" "nsenter ip addr failed (pid $pid of $id)"; continue ;; esac
    case "$r" in '['*']') ;; *) errn "$ns" "nsenter ip route failed (pid $pid of $id)"; continue ;; esac
    nss="$nss${nss:+,}\"$ns\":{\"addr\":$a,\"route\":$r}"
  done <<EOT
$pairs
EOT
fi
now=$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
case "$now" in *[!0-9TZ:-]*) now='' ;; esac
printf '{"schemaVersion":1,"probe":"ecs-netaudit","generatedAt":"%s","hostNetns":"%s","taskArnFilter":"%s","containers":[%s],"namespaces":{%s},"errors":[%s]}\n' "$now" "$hostns" "$f" "$cs" "$nss" "$errs"
