-- c
/* a /* nested */ b */ ((SELECT pg_catalog.lo_import('x')))