# §3: run --rm removes the container and its anonymous volumes, also when
# the command fails; named volumes stay.
run --rm -v named1:/n -v /anon cbox:1 sh -c 'echo x > /n/f; exit 3'
run --rm vol:v1 true
rt volume ls
rt @table ps -a
voltree named1
