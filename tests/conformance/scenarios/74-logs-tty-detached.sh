# §11: a -t run's log is one stream with the tty's \r\n; a detached run is
# logged while it runs, and `logs -f` follows it until it ends.
run -t --name tt cbox:1 sh -c 'echo a; sleep 0.1; echo b >&2'
rt logs tt
run @nostdout -d --name bg cbox:1 sh -c 'echo start; sleep 0.5; echo end >&2'
rt logs -f bg
