#!/bin/sh
# ecs-netaudit host probe (probe document schemaVersion 2): POSIX sh + docker + nsenter + ip
# (+ find for the netns links and iptables-save), run by `sh`: on Amazon Linux and the Bottlerocket
# control container the POSIX mode of the GNU shell, dash on Ubuntu/Debian (ECS Anywhere).
# The one source of the script: template.yaml's ProbeDocument carries a copy of this file written
# by `netaudit_local.template --write` (a test fails when they differ).
# Reads only; runs nothing inside containers; never prints environment variables.
# Input: $SSM_taskArn (optional; the document's ENV_VAR parameter, never put into this text).
# Reads only and sends nothing: `ip route get` is a routing-table lookup over netlink.
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

# Bottlerocket: SSM runs this in the control container (bottlerocket-control-container
# Dockerfile: Amazon Linux 2, ssm-agent; no docker, nsenter or ip; its own PID namespace). The
# host is read through the admin host container: `apiclient exec admin sheltie CMD ARGS...`, where
# sheltie is `exec nsenter -t 1 -a -- "$@"` (bottlerocket-admin-container: sheltie), so CMD is
# the host's own binary with its argv: no shell on the host, nothing built into shell text (the
# path AWS's own samples drive through SSM AWS-RunShellScript: aws-samples/bottlerocket-images-cache
# snapshot.sh, `apiclient exec admin sheltie ctr ...`).
# The host root of the aws-ecs variants has docker-cli, iproute (ip), util-linux (nsenter),
# coreutils, findutils and iptables (bottlerocket-core-kit packages/release/release.spec).
# apiclient exec (core-kit sources/api/apiserver/src/server/exec/child.rs) runs `ctr task exec`,
# hands stdin over, merges the command's stdout and stderr into apiclient's stdout and exits with
# its status; -T: no pseudo-terminal. The admin container is off by default
# (shared-defaults/aws-host-containers.toml); then ctr finds no container "admin" and exits 1.
via=''
if ! command -v docker >/dev/null 2>&1 && command -v apiclient >/dev/null 2>&1; then via='admin'; fi
# h CMD ARGS...: one host binary with its arguments, here or through the admin container.
h() {
  if [ -n "$via" ]; then apiclient exec -T admin sheltie "$@"; else "$@"; fi
}
nl='
'
# link_of FIND_OUTPUT PID: sets lk to the netns link of PID in `find -printf '%p %l\n'` output
# (a newline before every line), or '' when it is not there.
link_of() {
  lk=''
  case "$1" in *"$nl/proc/$2/ns/net "*) lk=${1#*"$nl/proc/$2/ns/net "} && lk=${lk%%"$nl"*} ;; esac
  is_ns "$lk" || lk=''
}
# links PID...: the netns links of host PIDs, ONE host call (find, not a readlink each).
links() {
  ps_=''
  for p in "$@"; do ps_="$ps_ /proc/$p/ns/net"; done
  [ -n "$ps_" ] || return 0
  # shellcheck disable=SC2086 # digits-only paths, split on purpose (set -f: no globbing)
  h find $ps_ -maxdepth 0 -printf '%p %l\n' </dev/null 2>/dev/null
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
# first_line TEXT: sets fl to TEXT's first non-empty line, at most 160 characters, each one
# outside letters, digits and ' .,:;/=_()@#+-' shown as '?' (JSON-safe: no quote, backslash or
# control byte)
first_line() {
  rest=$1
  while [ -n "$rest" ] && [ -z "${rest%%"$nl"*}" ]; do rest=${rest#"$nl"}; done
  rest=${rest%%"$nl"*}
  fl=''
  k=0
  while [ -n "$rest" ] && [ "$k" -lt 160 ]; do
    c=${rest%"${rest#?}"}
    rest=${rest#?}
    case "$c" in [A-Za-z0-9] | [' .,:;/=_()@#+'] | -) fl="$fl$c" ;; *) fl="$fl?" ;; esac
    k=$((k + 1))
  done
}
# the first host read; through the admin container it also tells whether the host can be reached
# (apiclient exec hands back the command's and ctr's messages in its output; its own on stderr)
said=$(h readlink /proc/self/ns/net </dev/null 2>&1)
hostns=''
while IFS= read -r line; do is_ns "$line" && hostns=$line && break; done <<EOT
$said
EOT
if [ -z "$hostns" ]; then
  if [ -n "$via" ]; then
    case "$said" in
      *'container "admin" in namespace "default": not found'*)
        errs="$errs${errs:+,}{\"code\":\"BOTTLEROCKET_ADMIN_OFF\",\"message\":\"Bottlerocket host not reachable: apiclient exec admin sheltie failed. The probe reads the host through the admin host container, which is off by default: enable it with settings.host-containers.admin.enabled=true (user data or apiclient set)\"}"
        ;;
      *)
        first_line "$said"
        err "Bottlerocket host not reachable: apiclient exec admin sheltie failed: ${fl:-no output}"
        ;;
    esac
    run=0
  else
    err "cannot read the host netns"
  fi
fi
cs=''
nss=''
pairs=''
seen=' '
if [ "$run" = 1 ] && [ -z "$via" ] && ! command -v docker >/dev/null 2>&1; then
  err "docker CLI not found: this host cannot be probed (no docker)"
  run=0
fi
if [ "$run" = 1 ]; then
  lf='label=com.amazonaws.ecs.task-arn'
  [ -n "$f" ] && lf="$lf=$f"
  # "<id> <task ARN as JSON>" a line: a container gone before docker inspect is then reported
  # for its task only (the agent keeps stopped tasks' containers ~3 h, then removes them)
  P=$(go_template '%{.ID}} %{json (.Label "com.amazonaws.ecs.task-arn")}}')
  if rows=$(h docker ps -a --no-trunc --filter "$lf" --format "$P" </dev/null 2>/dev/null); then :; else err "docker ps failed"; rows=''; fi
  listed=' '
  ids=''
  M='link show dev lo'
  IMDS=169.254.169.254 # EC2 instance metadata
  CREDS=169.254.170.2  # ECS task credentials endpoint
  OFF4=192.0.2.1       # off-host IPv4 and IPv6 (documentation prefixes: looked up, never sent to)
  OFF6=2001:db8::1
  set --
  while read -r id arn; do
    is_hex "$id" || continue
    a=${arn#\"}
    a=${a%\"}
    case "$arn" in '"'*'"') ;; *) a='' ;; esac
    case "$a" in *[!A-Za-z0-9:/_-]*) a='' ;; esac # only an ARN's characters reach the output
    arn="\"$a\""
    ids="$ids $id"
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
'"MacAddress":%{json $v.MacAddress}}}%{$s = ","}}%{end}}},'\
'"escape":{"privileged":%{json .HostConfig.Privileged}},"pidMode":%{json .HostConfig.PidMode}},'\
'"ipcMode":%{json .HostConfig.IpcMode}},"capAdd":%{json .HostConfig.CapAdd}},"devices":%{len .HostConfig.Devices}},'\
'"bindMounts":[%{$m := ""}}%{range .Mounts}}%{if eq .Type "bind"}}%{$m}}%{json .Source}}%{$m = ","}}%{end}}%{end}}]}')
  out=''
  if [ -n "$ids" ]; then
    # exits 1 when a listed container is gone, and still prints every other one (then its
    # "Error: No such object" line, which apiclient exec merges into the output: skipped below);
    # the status is not trusted either way: every listed id is looked for in the output below
    # shellcheck disable=SC2086 # hex ids only, split on purpose (set -f: no globbing)
    out=$(h docker inspect -f "$T" $ids </dev/null 2>/dev/null) || :
  fi
  # the netns links of every listed container's PID: one host call
  pids=''
  while IFS= read -r line; do
    pid=${line%% *}
    case "$pid" in '' | *[!0-9]*) ;; *) [ "$pid" -gt 0 ] && pids="$pids $pid" ;; esac
  done <<EOT
$out
EOT
  # shellcheck disable=SC2086 # digits only
  found="$nl$(links $pids)$nl"
  # Only whole record lines count ("<pid> {"id":"<hex>"...]}"): docker's and apiclient's error
  # lines, which through apiclient exec arrive anywhere in the stream (ctr copies stdout and
  # stderr through separate FIFOs), and a line cut short are skipped; the container of a
  # skipped line is then missing from the output and reported below.
  while IFS= read -r line; do
    pid=${line%% *}
    obj=${line#* }
    id=${obj#'{"id":"'}
    id=${id%%'"'*}
    case "$pid" in '' | *[!0-9]*) continue ;; esac
    case "$obj" in '{"id":"'*']}') ;; *) continue ;; esac
    is_hex "$id" || continue
    ns=''
    if [ "$pid" -gt 0 ]; then
      link_of "$found" "$pid"
      ns=$lk
      [ -n "$ns" ] || errc "$id" "cannot read the netns of pid $pid"
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
  # A listed container missing from that output is gone only if a second listing (one host
  # call, only then) no longer shows it; otherwise the output was cut short (apiclient/ctr
  # stream, daemon or template error) and the container was not checked: its task is then
  # INCONCLUSIVE, never passed over.
  missing=''
  for id in $ids; do
    case "$cs" in *'{"id":"'"$id"'"'*) ;; *) missing="$missing $id" ;; esac
  done
  again=''
  if [ -n "$missing" ]; then
    again=$(h docker ps -a --no-trunc --filter "$lf" --format "$(go_template '%{.ID}}')" </dev/null 2>/dev/null) || again='?'
  fi
  for id in $missing; do
    arn=${listed#*" $id="}
    arn=${arn%% *}
    why='container vanished before it was inspected'
    case "$nl$again$nl" in *"$nl$id$nl"* | "$nl?$nl") why='container listed but not inspected' ;; esac
    errs="$errs${errs:+,}{\"container\":\"$id\",\"taskArn\":$arn,\"message\":\"$why\"}"
  done
  # the dumps first (kept as positional parameters: 4 a netns), then ONE re-read of the links:
  # a PID that died (or was reused) while it was dumped no longer points at the same netns
  set --
  dumped=''
  while read -r ns pid id; do
    [ -n "$ns" ] || continue
    # One ip process per netns: the dumps and the route lookups as `ip -batch`, every command
    # after the marker `link show dev lo` (lo exists in every netns). A failed lookup prints
    # nothing on stdout, so what stands between two markers is one command's output or nothing
    # (ip flushes each command's JSON before the next runs: iproute2 json_writer jsonw_destroy).
    # Through apiclient exec ip's error lines ("RTNETLINK answers: ...", not JSON) arrive in the
    # same stream at any point (ctr copies stdout and stderr through separate FIFOs): only lines
    # starting with `[` are read, so an error line is never the marker nor a command's output.
    # `table all` lists the routes of every family (IPv6 too; `ip route show` alone: IPv4 main).
    b=$(h nsenter -t "$pid" -n ip -j -force -batch - 2>/dev/null <<EOB
$M
addr show
$M
route show table all
$M
route get $IMDS
$M
route get $CREDS
$M
route get $OFF4
$M
route get $OFF6
$M
EOB
) || :
    set -- "$@" "$ns" "$pid" "$id" "$b"
    dumped="$dumped $pid"
  done <<EOT
$pairs
EOT
  # shellcheck disable=SC2086 # digits only
  found="$nl$(links $dumped)$nl"
  while [ "$#" -ge 4 ]; do
    ns=$1
    pid=$2
    id=$3
    b=$4
    shift 4
    link_of "$found" "$pid"
    if [ "$lk" != "$ns" ]; then errn "$ns" "netns changed while probing (pid $pid of $id)"; continue; fi
    i=-1
    mark=''
    a=''
    r=''
    g1=''
    g2=''
    g3=''
    g4=''
    while IFS= read -r line; do
      case "$line" in '['*) ;; *) continue ;; esac
      if [ "$i" = -1 ]; then mark=$line; i=0; continue; fi
      if [ "$line" = "$mark" ]; then i=$((i + 1)); continue; fi
      case "$i" in 0) a=$line ;; 1) r=$line ;; 2) g1=$line ;; 3) g2=$line ;; 4) g3=$line ;; 5) g4=$line ;; esac
    done <<EOB
$b
EOB
    if [ "$i" != 6 ]; then errn "$ns" "nsenter ip -batch failed (pid $pid of $id)"; continue; fi
    case "$a" in '['*']') ;; *) errn "$ns" "nsenter ip addr failed (pid $pid of $id)"; continue ;; esac
    case "$r" in '['*']') ;; *) errn "$ns" "nsenter ip route failed (pid $pid of $id)"; continue ;; esac
    l=''
    for g in "$IMDS=$g1" "$CREDS=$g2" "$OFF4=$g3" "$OFF6=$g4"; do
      v=${g#*=}
      # no answer (no route): null; an answer cut short is not "no route": the netns is unread
      case "$v" in '') v=null ;; '['*']') ;; *) l='?' && break ;; esac
      l="$l${l:+,}\"${g%%=*}\":$v"
    done
    if [ "$l" = '?' ]; then errn "$ns" "nsenter ip route get output unreadable (pid $pid of $id)"; continue; fi
    nss="$nss${nss:+,}\"$ns\":{\"addr\":$a,\"route\":$r,\"lookups\":{$l}}"
  done
fi
# The host's firewall for bridge tasks' IMDS traffic (routed through the host: FORWARD and its
# DOCKER-USER chain): only a count of rules dropping 169.254.169.254 leaves the host.
fw=null
if [ "$run" = 1 ] && { [ -n "$via" ] || command -v iptables-save >/dev/null 2>&1; } &&
  rules=$(h iptables-save -t filter </dev/null 2>/dev/null); then
  n=0
  while IFS= read -r line; do
    case "$line" in '-A DOCKER-USER '* | '-A FORWARD '*) ;; *) continue ;; esac
    case "$line" in *'-d 169.254.169.254/32 '*) ;; *) continue ;; esac
    case "$line" in *'-j DROP'* | *'-j REJECT'*) n=$((n + 1)) ;; esac
  done <<EOR
$rules
EOR
  fw="{\"read\":true,\"imdsDropRules\":$n}"
fi
now=$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
case "$now" in *[!0-9TZ:-]*) now='' ;; esac
# how the host was read: here (docker, nsenter, ip) or through Bottlerocket's admin container
access=direct
[ -n "$via" ] && access=bottlerocket-admin
printf '{"schemaVersion":2,"probe":"ecs-netaudit","generatedAt":"%s","hostAccess":"%s","hostNetns":"%s","taskArnFilter":"%s","containers":[%s],"namespaces":{%s},"hostFirewall":%s,"errors":[%s]}\n' "$now" "$access" "$hostns" "$f" "$cs" "$nss" "$fw" "$errs"
