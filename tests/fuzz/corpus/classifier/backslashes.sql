SELECT 'it\'s', pg_try_advisory_lock(42), 'it\'s', inet_server_port()
SELECT 'a\', ' ; BEGIN; -- ' AS x
SELECT N'\\', b'1\', x'0\', U&'\0061\', "a\", $$\$$, E'\'' FROM t
