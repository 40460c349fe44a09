#compdef drctl

autoload -U is-at-least

_drctl() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_drctl_commands" \
"*::: :->drctl" \
&& ret=0
    case $state in
    (drctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-command-$line[1]:"
        case $line[1] in
            (validate)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory to check host and group names against (default\: each runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory to check host and group names against (default\: each runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (counts as defined)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (counts as defined)]:NAME=VALUE:_default' \
'--format=[]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--strict[Fail on warnings too]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::paths -- Runbook files or folders (searched recursively for *.yaml/*.yml starting with `drctl\:`):_files' \
&& ret=0
;;
(plan)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--drill[Resolve as \`drctl drill\` would]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(hosts)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[]:FORMAT:(text json)' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(run)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--dry-run[Show the plan and stop (= \`drctl plan\`)]' \
'--force-new[Start a new run even though the runbook'\''s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(failover)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--dry-run[Show the plan and stop (= \`drctl plan\`)]' \
'--force-new[Start a new run even though the runbook'\''s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(migrate)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--dry-run[Show the plan and stop (= \`drctl plan\`)]' \
'--force-new[Start a new run even though the runbook'\''s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(restore)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--dry-run[Show the plan and stop (= \`drctl plan\`)]' \
'--force-new[Start a new run even though the runbook'\''s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(cutover)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--dry-run[Show the plan and stop (= \`drctl plan\`)]' \
'--force-new[Start a new run even though the runbook'\''s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(drill)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'--inventory=[Inventory file, drctl'\''s YAML or Ansible'\''s INI or YAML (overrides the runbook'\''s \`inventory\:\`)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (highest precedence)]:NAME=VALUE:_default' \
'*--limit=[Only hosts matching these patterns\: host or group names, globs (\`db*\`), \`!EXCLUDED\`, \`&INTERSECTED\`, separated by \`,\` or \`\:\`; \`local\` steps always run]:HOSTS:_default' \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--dry-run[Show the plan and stop (= \`drctl plan\`)]' \
'--force-new[Start a new run even though the runbook'\''s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':runbook -- The runbook file:_files' \
&& ret=0
;;
(resume)
_arguments "${_arguments_options[@]}" : \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'-i+[Inventory (default\: the one the run used)]:INVENTORY:_files' \
'--inventory=[Inventory (default\: the one the run used)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (default\: the run'\''s own)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (default\: the run'\''s own)]:NAME=VALUE:_default' \
'*--rerun=[Re-run this step where it was left in flight (STEP@HOST\: on that host only)]:STEP[@HOST]:_default' \
'*--skip=[Treat this in-flight step as done (STEP@HOST\: on that host only)]:STEP[@HOST]:_default' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--allow-changed[Go on although the runbook changed since the run started (the changes are shown)]' \
'--cross-point-of-no-return[\`drctl rollback\`\: also undo a step marked \`point_of_no_return\` and every step before it (without it, the rollback stops at that step)]' \
'--takeover[Shared state\: if another controller holds the run'\''s lock, wait for its lease to expire (at most --lease-ttl + 2 s), then take the run over with a new epoch]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':run_id -- The run id (see `drctl runs`):_default' \
&& ret=0
;;
(rollback)
_arguments "${_arguments_options[@]}" : \
'--format=[\`json\`\: stream the run'\''s events as JSON lines on stdout, for tools (human progress stays on stderr)]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--forks=[At most this many hosts at once in a step]:FORKS:_default' \
'*--approve=[Pass this approval gate (repeatable)]:STEP:_default' \
'--gate-wait=[At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for \`drctl approve\`/\`drctl decline\` from another terminal before stopping (exit 5). Default\: stop at once]:DURATION:_default' \
'--state-dir=[State directory (default\: \$DRCTL_STATE_DIR, else ~/.local/state/drctl)]:STATE_DIR:_files -/' \
'--log-file=[Also write every line to this file]:LOG_FILE:_files' \
'--report-dir=[At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)]:DIR:_files -/' \
'-i+[Inventory (default\: the one the run used)]:INVENTORY:_files' \
'--inventory=[Inventory (default\: the one the run used)]:INVENTORY:_files' \
'*-e+[Extra variable NAME=VALUE (default\: the run'\''s own)]:NAME=VALUE:_default' \
'*--var=[Extra variable NAME=VALUE (default\: the run'\''s own)]:NAME=VALUE:_default' \
'*--rerun=[Re-run this step where it was left in flight (STEP@HOST\: on that host only)]:STEP[@HOST]:_default' \
'*--skip=[Treat this in-flight step as done (STEP@HOST\: on that host only)]:STEP[@HOST]:_default' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--yes[Pass every approval gate (for cron)]' \
'--no-progress[No progress bars, plain lines even on a terminal]' \
'*-v[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'*--verbose[More output\: each host'\''s stdout and stderr (-vv\: debug logs, or set DRCTL_LOG)]' \
'-q[Only the final line and errors]' \
'--quiet[Only the final line and errors]' \
'--allow-changed[Go on although the runbook changed since the run started (the changes are shown)]' \
'--cross-point-of-no-return[\`drctl rollback\`\: also undo a step marked \`point_of_no_return\` and every step before it (without it, the rollback stops at that step)]' \
'--takeover[Shared state\: if another controller holds the run'\''s lock, wait for its lease to expire (at most --lease-ttl + 2 s), then take the run over with a new epoch]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':run_id -- The run id (see `drctl runs`):_default' \
&& ret=0
;;
(approve)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why (journaled, audited and in the report); required to decline]:TEXT:_default' \
'--state-dir=[]:STATE_DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':run_id -- The run waiting at the gate (see `drctl runs`, `drctl watch`):_default' \
':step -- The gate'\''s step id:_default' \
&& ret=0
;;
(decline)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why (journaled, audited and in the report); required to decline]:TEXT:_default' \
'--state-dir=[]:STATE_DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':run_id -- The run waiting at the gate (see `drctl runs`, `drctl watch`):_default' \
':step -- The gate'\''s step id:_default' \
&& ret=0
;;
(watch)
_arguments "${_arguments_options[@]}" : \
'--state-dir=[]:STATE_DIR:_files -/' \
'--interval=[How often the journal is read, in milliseconds]:MS:_default' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'--no-progress[Plain lines even on a terminal (without a terminal they always are)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'::run_id -- The run to follow (default\: the latest run):_default' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--state-dir=[]:STATE_DIR:_files -/' \
'--format=[]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::run_id:_default' \
&& ret=0
;;
(runs)
_arguments "${_arguments_options[@]}" : \
'--state-dir=[]:STATE_DIR:_files -/' \
'--format=[]:FORMAT:((text\:""
json\:""
short\:"One line per problem (\`validate\` only)"))' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
'--format=[]:FORMAT:((md\:"Markdown after-action report"
json\:"The same content as JSON"
junit\:"JUnit XML\: a test case per step and host"
prom\:"Prometheus text format (node_exporter textfile collector)"
html\:"One self-contained HTML page\: summary, RTO, phases, SVG timeline, failures"))' \
'-o+[Write to this file (atomically) instead of standard output]:OUTPUT:_files' \
'--output=[Write to this file (atomically) instead of standard output]:OUTPUT:_files' \
'--state-dir=[]:STATE_DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::run_id -- The run id (default\: the latest run):_default' \
&& ret=0
;;
(audit)
_arguments "${_arguments_options[@]}" : \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_drctl__subcmd__audit_commands" \
"*::: :->audit" \
&& ret=0

    case $state in
    (audit)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-audit-command-$line[1]:"
        case $line[1] in
            (verify)
_arguments "${_arguments_options[@]}" : \
'--state-dir=[]:STATE_DIR:_files -/' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_drctl__subcmd__audit__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-audit-help-command-$line[1]:"
        case $line[1] in
            (verify)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(state)
_arguments "${_arguments_options[@]}" : \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_drctl__subcmd__state_commands" \
"*::: :->state" \
&& ret=0

    case $state in
    (state)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-state-command-$line[1]:"
        case $line[1] in
            (migrate)
_arguments "${_arguments_options[@]}" : \
'--from=[The state directory to copy from (default\: DRCTL_STATE_DIR or the default one)]:DIR:_files -/' \
'--to=[The etcd store to copy to\: etcd\://HOST\:PORT\[,…\]\[/PREFIX\] (default\: --state)]:URL:_default' \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_drctl__subcmd__state__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-state-help-command-$line[1]:"
        case $line[1] in
            (migrate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(schema)
_arguments "${_arguments_options[@]}" : \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--state=[Shared run state on etcd\: etcd\://HOST\:PORT\[,HOST\:PORT…\]\[/PREFIX\] (default\: the local state directory). Runs, locks and the audit chain then live in the cluster]:URL:_default' \
'--lease-ttl=[Lease of a run'\''s lock on etcd, in seconds\: a controller that stops renewing it loses the run this long after]:SECONDS:_default' \
'--etcd-cacert=[CA certificate (PEM) that etcd'\''s server certificates are checked against (\`etcds\://\` URLs; default\: the system'\''s roots)]:FILE:_files' \
'--etcd-cert=[Client certificate (PEM) for an etcd that requires one (\`--client-cert-auth\`)]:FILE:_files' \
'--etcd-key=[The client certificate'\''s private key (PEM)]:FILE:_files' \
'--etcd-user=[etcd user (etcd'\''s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line]:USER:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':dir:_files -/' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_drctl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-help-command-$line[1]:"
        case $line[1] in
            (validate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(plan)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hosts)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(run)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(failover)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(migrate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(restore)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(cutover)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(drill)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(resume)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(rollback)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(approve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(decline)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(watch)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(runs)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(audit)
_arguments "${_arguments_options[@]}" : \
":: :_drctl__subcmd__help__subcmd__audit_commands" \
"*::: :->audit" \
&& ret=0

    case $state in
    (audit)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-help-audit-command-$line[1]:"
        case $line[1] in
            (verify)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(state)
_arguments "${_arguments_options[@]}" : \
":: :_drctl__subcmd__help__subcmd__state_commands" \
"*::: :->state" \
&& ret=0

    case $state in
    (state)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:drctl-help-state-command-$line[1]:"
        case $line[1] in
            (migrate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(schema)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_drctl_commands] )) ||
_drctl_commands() {
    local commands; commands=(
'validate:Check runbooks (files or folders); every problem with file\:line\:col' \
'plan:Show the resolved plan of a runbook without touching any host' \
'hosts:Connect to every host a runbook would touch (bastions, host keys, authentication, become) and print a table; no step runs. Exit 4 on a host-key problem' \
'run:Run a runbook of any kind' \
'failover:Run a \`kind\: failover\` runbook (refuses any other kind)' \
'migrate:Run a \`kind\: migration\` runbook (refuses any other kind)' \
'restore:Run a \`kind\: restore\` runbook (refuses any other kind)' \
'cutover:Run a \`kind\: cutover\` runbook (refuses any other kind)' \
'drill:Rehearse\: run in drill mode, roll everything back, judge against the objectives' \
'resume:Continue a stopped or crashed run from its checkpoint' \
'rollback:Undo the completed steps of a run, newest first' \
'approve:Approve a gate a run waits at (run with --gate-wait), from another terminal' \
'decline:Decline a gate a run waits at (it fails like a declined prompt\: rollback); --reason required' \
'watch:Follow a run live from any terminal; exits with the run'\''s exit code when it ends' \
'status:Where a run stands, step by step and host by host (default\: the latest run)' \
'runs:History of runs' \
'report:After-action report of a run\: Markdown, JSON, JUnit XML, Prometheus text or HTML' \
'audit:The tamper-evident audit journal' \
'state:Shared run state\: move runs between a local directory and etcd' \
'schema:Print the JSON Schema of the runbook format' \
'completions:Print shell completions' \
'man:Write the man pages (drctl.1, drctl-COMMAND.1), generated from this definition, into DIR' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'drctl commands' commands "$@"
}
(( $+functions[_drctl__subcmd__approve_commands] )) ||
_drctl__subcmd__approve_commands() {
    local commands; commands=()
    _describe -t commands 'drctl approve commands' commands "$@"
}
(( $+functions[_drctl__subcmd__audit_commands] )) ||
_drctl__subcmd__audit_commands() {
    local commands; commands=(
'verify:Check the hash chain; names the first line altered, removed or reordered' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'drctl audit commands' commands "$@"
}
(( $+functions[_drctl__subcmd__audit__subcmd__help_commands] )) ||
_drctl__subcmd__audit__subcmd__help_commands() {
    local commands; commands=(
'verify:Check the hash chain; names the first line altered, removed or reordered' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'drctl audit help commands' commands "$@"
}
(( $+functions[_drctl__subcmd__audit__subcmd__help__subcmd__help_commands] )) ||
_drctl__subcmd__audit__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'drctl audit help help commands' commands "$@"
}
(( $+functions[_drctl__subcmd__audit__subcmd__help__subcmd__verify_commands] )) ||
_drctl__subcmd__audit__subcmd__help__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'drctl audit help verify commands' commands "$@"
}
(( $+functions[_drctl__subcmd__audit__subcmd__verify_commands] )) ||
_drctl__subcmd__audit__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'drctl audit verify commands' commands "$@"
}
(( $+functions[_drctl__subcmd__completions_commands] )) ||
_drctl__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'drctl completions commands' commands "$@"
}
(( $+functions[_drctl__subcmd__cutover_commands] )) ||
_drctl__subcmd__cutover_commands() {
    local commands; commands=()
    _describe -t commands 'drctl cutover commands' commands "$@"
}
(( $+functions[_drctl__subcmd__decline_commands] )) ||
_drctl__subcmd__decline_commands() {
    local commands; commands=()
    _describe -t commands 'drctl decline commands' commands "$@"
}
(( $+functions[_drctl__subcmd__drill_commands] )) ||
_drctl__subcmd__drill_commands() {
    local commands; commands=()
    _describe -t commands 'drctl drill commands' commands "$@"
}
(( $+functions[_drctl__subcmd__failover_commands] )) ||
_drctl__subcmd__failover_commands() {
    local commands; commands=()
    _describe -t commands 'drctl failover commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help_commands] )) ||
_drctl__subcmd__help_commands() {
    local commands; commands=(
'validate:Check runbooks (files or folders); every problem with file\:line\:col' \
'plan:Show the resolved plan of a runbook without touching any host' \
'hosts:Connect to every host a runbook would touch (bastions, host keys, authentication, become) and print a table; no step runs. Exit 4 on a host-key problem' \
'run:Run a runbook of any kind' \
'failover:Run a \`kind\: failover\` runbook (refuses any other kind)' \
'migrate:Run a \`kind\: migration\` runbook (refuses any other kind)' \
'restore:Run a \`kind\: restore\` runbook (refuses any other kind)' \
'cutover:Run a \`kind\: cutover\` runbook (refuses any other kind)' \
'drill:Rehearse\: run in drill mode, roll everything back, judge against the objectives' \
'resume:Continue a stopped or crashed run from its checkpoint' \
'rollback:Undo the completed steps of a run, newest first' \
'approve:Approve a gate a run waits at (run with --gate-wait), from another terminal' \
'decline:Decline a gate a run waits at (it fails like a declined prompt\: rollback); --reason required' \
'watch:Follow a run live from any terminal; exits with the run'\''s exit code when it ends' \
'status:Where a run stands, step by step and host by host (default\: the latest run)' \
'runs:History of runs' \
'report:After-action report of a run\: Markdown, JSON, JUnit XML, Prometheus text or HTML' \
'audit:The tamper-evident audit journal' \
'state:Shared run state\: move runs between a local directory and etcd' \
'schema:Print the JSON Schema of the runbook format' \
'completions:Print shell completions' \
'man:Write the man pages (drctl.1, drctl-COMMAND.1), generated from this definition, into DIR' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'drctl help commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__approve_commands] )) ||
_drctl__subcmd__help__subcmd__approve_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help approve commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__audit_commands] )) ||
_drctl__subcmd__help__subcmd__audit_commands() {
    local commands; commands=(
'verify:Check the hash chain; names the first line altered, removed or reordered' \
    )
    _describe -t commands 'drctl help audit commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__audit__subcmd__verify_commands] )) ||
_drctl__subcmd__help__subcmd__audit__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help audit verify commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__completions_commands] )) ||
_drctl__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help completions commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__cutover_commands] )) ||
_drctl__subcmd__help__subcmd__cutover_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help cutover commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__decline_commands] )) ||
_drctl__subcmd__help__subcmd__decline_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help decline commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__drill_commands] )) ||
_drctl__subcmd__help__subcmd__drill_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help drill commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__failover_commands] )) ||
_drctl__subcmd__help__subcmd__failover_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help failover commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__help_commands] )) ||
_drctl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help help commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__hosts_commands] )) ||
_drctl__subcmd__help__subcmd__hosts_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help hosts commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__man_commands] )) ||
_drctl__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help man commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__migrate_commands] )) ||
_drctl__subcmd__help__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help migrate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__plan_commands] )) ||
_drctl__subcmd__help__subcmd__plan_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help plan commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__report_commands] )) ||
_drctl__subcmd__help__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help report commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__restore_commands] )) ||
_drctl__subcmd__help__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help restore commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__resume_commands] )) ||
_drctl__subcmd__help__subcmd__resume_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help resume commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__rollback_commands] )) ||
_drctl__subcmd__help__subcmd__rollback_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help rollback commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__run_commands] )) ||
_drctl__subcmd__help__subcmd__run_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help run commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__runs_commands] )) ||
_drctl__subcmd__help__subcmd__runs_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help runs commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__schema_commands] )) ||
_drctl__subcmd__help__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help schema commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__state_commands] )) ||
_drctl__subcmd__help__subcmd__state_commands() {
    local commands; commands=(
'migrate:Copy every run of a local state directory (journals, runbook copies, the audit chain) into etcd; refuses a live (locked) run; copying again is harmless' \
    )
    _describe -t commands 'drctl help state commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__state__subcmd__migrate_commands] )) ||
_drctl__subcmd__help__subcmd__state__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help state migrate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__status_commands] )) ||
_drctl__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help status commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__validate_commands] )) ||
_drctl__subcmd__help__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help validate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__help__subcmd__watch_commands] )) ||
_drctl__subcmd__help__subcmd__watch_commands() {
    local commands; commands=()
    _describe -t commands 'drctl help watch commands' commands "$@"
}
(( $+functions[_drctl__subcmd__hosts_commands] )) ||
_drctl__subcmd__hosts_commands() {
    local commands; commands=()
    _describe -t commands 'drctl hosts commands' commands "$@"
}
(( $+functions[_drctl__subcmd__man_commands] )) ||
_drctl__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'drctl man commands' commands "$@"
}
(( $+functions[_drctl__subcmd__migrate_commands] )) ||
_drctl__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl migrate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__plan_commands] )) ||
_drctl__subcmd__plan_commands() {
    local commands; commands=()
    _describe -t commands 'drctl plan commands' commands "$@"
}
(( $+functions[_drctl__subcmd__report_commands] )) ||
_drctl__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'drctl report commands' commands "$@"
}
(( $+functions[_drctl__subcmd__restore_commands] )) ||
_drctl__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'drctl restore commands' commands "$@"
}
(( $+functions[_drctl__subcmd__resume_commands] )) ||
_drctl__subcmd__resume_commands() {
    local commands; commands=()
    _describe -t commands 'drctl resume commands' commands "$@"
}
(( $+functions[_drctl__subcmd__rollback_commands] )) ||
_drctl__subcmd__rollback_commands() {
    local commands; commands=()
    _describe -t commands 'drctl rollback commands' commands "$@"
}
(( $+functions[_drctl__subcmd__run_commands] )) ||
_drctl__subcmd__run_commands() {
    local commands; commands=()
    _describe -t commands 'drctl run commands' commands "$@"
}
(( $+functions[_drctl__subcmd__runs_commands] )) ||
_drctl__subcmd__runs_commands() {
    local commands; commands=()
    _describe -t commands 'drctl runs commands' commands "$@"
}
(( $+functions[_drctl__subcmd__schema_commands] )) ||
_drctl__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'drctl schema commands' commands "$@"
}
(( $+functions[_drctl__subcmd__state_commands] )) ||
_drctl__subcmd__state_commands() {
    local commands; commands=(
'migrate:Copy every run of a local state directory (journals, runbook copies, the audit chain) into etcd; refuses a live (locked) run; copying again is harmless' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'drctl state commands' commands "$@"
}
(( $+functions[_drctl__subcmd__state__subcmd__help_commands] )) ||
_drctl__subcmd__state__subcmd__help_commands() {
    local commands; commands=(
'migrate:Copy every run of a local state directory (journals, runbook copies, the audit chain) into etcd; refuses a live (locked) run; copying again is harmless' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'drctl state help commands' commands "$@"
}
(( $+functions[_drctl__subcmd__state__subcmd__help__subcmd__help_commands] )) ||
_drctl__subcmd__state__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'drctl state help help commands' commands "$@"
}
(( $+functions[_drctl__subcmd__state__subcmd__help__subcmd__migrate_commands] )) ||
_drctl__subcmd__state__subcmd__help__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl state help migrate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__state__subcmd__migrate_commands] )) ||
_drctl__subcmd__state__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl state migrate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__status_commands] )) ||
_drctl__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'drctl status commands' commands "$@"
}
(( $+functions[_drctl__subcmd__validate_commands] )) ||
_drctl__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'drctl validate commands' commands "$@"
}
(( $+functions[_drctl__subcmd__watch_commands] )) ||
_drctl__subcmd__watch_commands() {
    local commands; commands=()
    _describe -t commands 'drctl watch commands' commands "$@"
}

if [ "$funcstack[1]" = "_drctl" ]; then
    _drctl "$@"
else
    compdef _drctl drctl
fi
