/*
 * Schema migrations compiled in from src/store/schema/NNN_name.sql
 * (cmake/embed_schema.cmake). The table ends with a zero version.
 */
#ifndef EGCA_STORE_SCHEMA_H
#define EGCA_STORE_SCHEMA_H

struct egca_schema_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct egca_schema_migration egca_schema_migrations[];

#endif
