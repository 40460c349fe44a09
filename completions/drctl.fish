# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_drctl_global_optspecs
    string join \n state= lease-ttl= etcd-cacert= etcd-cert= etcd-key= etcd-user= h/help V/version
end

function __fish_drctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_drctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_drctl_using_subcommand
    set -l cmd (__fish_drctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c drctl -n "__fish_drctl_needs_command" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_needs_command" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_needs_command" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_needs_command" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_needs_command" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_needs_command" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_needs_command" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_needs_command" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "validate" -d 'Check runbooks (files or folders); every problem with file:line:col'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "plan" -d 'Show the resolved plan of a runbook without touching any host'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "hosts" -d 'Connect to every host a runbook would touch (bastions, host keys, authentication, become) and print a table; no step runs. Exit 4 on a host-key problem'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "run" -d 'Run a runbook of any kind'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "failover" -d 'Run a `kind: failover` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "migrate" -d 'Run a `kind: migration` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "restore" -d 'Run a `kind: restore` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "cutover" -d 'Run a `kind: cutover` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "drill" -d 'Rehearse: run in drill mode, roll everything back, judge against the objectives'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "resume" -d 'Continue a stopped or crashed run from its checkpoint'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "rollback" -d 'Undo the completed steps of a run, newest first'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "approve" -d 'Approve a gate a run waits at (run with --gate-wait), from another terminal'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "decline" -d 'Decline a gate a run waits at (it fails like a declined prompt: rollback); --reason required'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "watch" -d 'Follow a run live from any terminal; exits with the run\'s exit code when it ends'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "status" -d 'Where a run stands, step by step and host by host (default: the latest run)'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "runs" -d 'History of runs'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "report" -d 'After-action report of a run: Markdown, JSON, JUnit XML, Prometheus text or HTML'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "audit" -d 'The tamper-evident audit journal'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "state" -d 'Shared run state: move runs between a local directory and etcd'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "schema" -d 'Print the JSON Schema of the runbook format'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "man" -d 'Write the man pages (drctl.1, drctl-COMMAND.1), generated from this definition, into DIR'
complete -c drctl -n "__fish_drctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c drctl -n "__fish_drctl_using_subcommand validate" -s i -l inventory -d 'Inventory to check host and group names against (default: each runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand validate" -s e -l var -d 'Extra variable NAME=VALUE (counts as defined)' -r
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l format -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand validate" -l strict -d 'Fail on warnings too'
complete -c drctl -n "__fish_drctl_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand plan" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand plan" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l format -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand plan" -l drill -d 'Resolve as `drctl drill` would'
complete -c drctl -n "__fish_drctl_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand plan" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l format -r -f -a "text\t''
json\t''"
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand hosts" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand run" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand run" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand run" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand run" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand run" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand run" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand run" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand run" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand run" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand run" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand run" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand run" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand run" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand run" -l dry-run -d 'Show the plan and stop (= `drctl plan`)'
complete -c drctl -n "__fish_drctl_using_subcommand run" -l force-new -d 'Start a new run even though the runbook\'s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)'
complete -c drctl -n "__fish_drctl_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand run" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand failover" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l dry-run -d 'Show the plan and stop (= `drctl plan`)'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -l force-new -d 'Start a new run even though the runbook\'s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand failover" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l dry-run -d 'Show the plan and stop (= `drctl plan`)'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -l force-new -d 'Start a new run even though the runbook\'s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand migrate" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand restore" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l dry-run -d 'Show the plan and stop (= `drctl plan`)'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -l force-new -d 'Start a new run even though the runbook\'s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand restore" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l dry-run -d 'Show the plan and stop (= `drctl plan`)'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -l force-new -d 'Start a new run even though the runbook\'s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand cutover" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -s i -l inventory -d 'Inventory file, drctl\'s YAML or Ansible\'s INI or YAML (overrides the runbook\'s `inventory:`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand drill" -s e -l var -d 'Extra variable NAME=VALUE (highest precedence)' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l limit -d 'Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`, `&INTERSECTED`, separated by `,` or `:`; `local` steps always run' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l dry-run -d 'Show the plan and stop (= `drctl plan`)'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -l force-new -d 'Start a new run even though the runbook\'s previous run is unresolved (in flight, stopped at a gate, failed without rollback, crashed)'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand drill" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand resume" -s i -l inventory -d 'Inventory (default: the one the run used)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand resume" -s e -l var -d 'Extra variable NAME=VALUE (default: the run\'s own)' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l rerun -d 'Re-run this step where it was left in flight (STEP@HOST: on that host only)' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l skip -d 'Treat this in-flight step as done (STEP@HOST: on that host only)' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l allow-changed -d 'Go on although the runbook changed since the run started (the changes are shown)'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l cross-point-of-no-return -d '`drctl rollback`: also undo a step marked `point_of_no_return` and every step before it (without it, the rollback stops at that step)'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -l takeover -d 'Shared state: if another controller holds the run\'s lock, wait for its lease to expire (at most --lease-ttl + 2 s), then take the run over with a new epoch'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand resume" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l format -d '`json`: stream the run\'s events as JSON lines on stdout, for tools (human progress stays on stderr)' -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l forks -d 'At most this many hosts at once in a step' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l approve -d 'Pass this approval gate (repeatable)' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l gate-wait -d 'At a gate nobody can answer at a terminal, keep the lock and connections and wait this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal before stopping (exit 5). Default: stop at once' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l state-dir -d 'State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l log-file -d 'Also write every line to this file' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l report-dir -d 'At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML, Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -s i -l inventory -d 'Inventory (default: the one the run used)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -s e -l var -d 'Extra variable NAME=VALUE (default: the run\'s own)' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l rerun -d 'Re-run this step where it was left in flight (STEP@HOST: on that host only)' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l skip -d 'Treat this in-flight step as done (STEP@HOST: on that host only)' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l yes -d 'Pass every approval gate (for cron)'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l no-progress -d 'No progress bars, plain lines even on a terminal'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -s v -l verbose -d 'More output: each host\'s stdout and stderr (-vv: debug logs, or set DRCTL_LOG)'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -s q -l quiet -d 'Only the final line and errors'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l allow-changed -d 'Go on although the runbook changed since the run started (the changes are shown)'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l cross-point-of-no-return -d '`drctl rollback`: also undo a step marked `point_of_no_return` and every step before it (without it, the rollback stops at that step)'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -l takeover -d 'Shared state: if another controller holds the run\'s lock, wait for its lease to expire (at most --lease-ttl + 2 s), then take the run over with a new epoch'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand rollback" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l reason -d 'Why (journaled, audited and in the report); required to decline' -r
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand approve" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand approve" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand approve" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l reason -d 'Why (journaled, audited and in the report); required to decline' -r
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand decline" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand decline" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand decline" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l interval -d 'How often the journal is read, in milliseconds' -r
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand watch" -l no-progress -d 'Plain lines even on a terminal (without a terminal they always are)'
complete -c drctl -n "__fish_drctl_using_subcommand watch" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand watch" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand status" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand status" -l format -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand status" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand status" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand status" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand status" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand status" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand status" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l format -r -f -a "text\t''
json\t''
short\t'One line per problem (`validate` only)'"
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand runs" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand runs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand runs" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand report" -l format -r -f -a "md\t'Markdown after-action report'
json\t'The same content as JSON'
junit\t'JUnit XML: a test case per step and host'
prom\t'Prometheus text format (node_exporter textfile collector)'
html\t'One self-contained HTML page: summary, RTO, phases, SVG timeline, failures'"
complete -c drctl -n "__fish_drctl_using_subcommand report" -s o -l output -d 'Write to this file (atomically) instead of standard output' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand report" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand report" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand report" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand report" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand report" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand report" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand report" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c drctl -n "__fish_drctl_using_subcommand report" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -f -a "verify" -d 'Check the hash chain; names the first line altered, removed or reordered'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l state-dir -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check the hash chain; names the first line altered, removed or reordered'
complete -c drctl -n "__fish_drctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -f -a "migrate" -d 'Copy every run of a local state directory (journals, runbook copies, the audit chain) into etcd; refuses a live (locked) run; copying again is harmless'
complete -c drctl -n "__fish_drctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l from -d 'The state directory to copy from (default: DRCTL_STATE_DIR or the default one)' -r -f -a "(__fish_complete_directories)"
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l to -d 'The etcd store to copy to: etcd://HOST:PORT[,…][/PREFIX] (default: --state)' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Copy every run of a local state directory (journals, runbook copies, the audit chain) into etcd; refuses a live (locked) run; copying again is harmless'
complete -c drctl -n "__fish_drctl_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c drctl -n "__fish_drctl_using_subcommand schema" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand schema" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand schema" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand schema" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand schema" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand schema" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand schema" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand schema" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand completions" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand completions" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand completions" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand completions" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand completions" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand completions" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand man" -l state -d 'Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the local state directory). Runs, locks and the audit chain then live in the cluster' -r
complete -c drctl -n "__fish_drctl_using_subcommand man" -l lease-ttl -d 'Lease of a run\'s lock on etcd, in seconds: a controller that stops renewing it loses the run this long after' -r
complete -c drctl -n "__fish_drctl_using_subcommand man" -l etcd-cacert -d 'CA certificate (PEM) that etcd\'s server certificates are checked against (`etcds://` URLs; default: the system\'s roots)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand man" -l etcd-cert -d 'Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand man" -l etcd-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c drctl -n "__fish_drctl_using_subcommand man" -l etcd-user -d 'etcd user (etcd\'s RBAC); its password comes from the environment variable DRCTL_ETCD_PASSWORD, never from the command line' -r
complete -c drctl -n "__fish_drctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c drctl -n "__fish_drctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "validate" -d 'Check runbooks (files or folders); every problem with file:line:col'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "plan" -d 'Show the resolved plan of a runbook without touching any host'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "hosts" -d 'Connect to every host a runbook would touch (bastions, host keys, authentication, become) and print a table; no step runs. Exit 4 on a host-key problem'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "run" -d 'Run a runbook of any kind'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "failover" -d 'Run a `kind: failover` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "migrate" -d 'Run a `kind: migration` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "restore" -d 'Run a `kind: restore` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "cutover" -d 'Run a `kind: cutover` runbook (refuses any other kind)'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "drill" -d 'Rehearse: run in drill mode, roll everything back, judge against the objectives'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "resume" -d 'Continue a stopped or crashed run from its checkpoint'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "rollback" -d 'Undo the completed steps of a run, newest first'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "approve" -d 'Approve a gate a run waits at (run with --gate-wait), from another terminal'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "decline" -d 'Decline a gate a run waits at (it fails like a declined prompt: rollback); --reason required'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "watch" -d 'Follow a run live from any terminal; exits with the run\'s exit code when it ends'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "status" -d 'Where a run stands, step by step and host by host (default: the latest run)'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "runs" -d 'History of runs'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "report" -d 'After-action report of a run: Markdown, JSON, JUnit XML, Prometheus text or HTML'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "audit" -d 'The tamper-evident audit journal'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "state" -d 'Shared run state: move runs between a local directory and etcd'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "schema" -d 'Print the JSON Schema of the runbook format'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "completions" -d 'Print shell completions'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "man" -d 'Write the man pages (drctl.1, drctl-COMMAND.1), generated from this definition, into DIR'
complete -c drctl -n "__fish_drctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan hosts run failover migrate restore cutover drill resume rollback approve decline watch status runs report audit state schema completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c drctl -n "__fish_drctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Check the hash chain; names the first line altered, removed or reordered'
complete -c drctl -n "__fish_drctl_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "migrate" -d 'Copy every run of a local state directory (journals, runbook copies, the audit chain) into etcd; refuses a live (locked) run; copying again is harmless'
