/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - helpers every command and the replacement engine share: the
 * exit statuses, messages and walk-through checks, JSON strings, numbers
 * from the command line, opening the device with advice.
 */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdarg.h>
#include <stdbool.h>

/* Exit statuses, by convention: 0 ok, 1 failure, 2 bad usage. */
enum { PL_EXIT_OK = 0, PL_EXIT_FAIL = 1, PL_EXIT_USAGE = 2 };

/* Print "pagelab: <msg>" to stderr. */
void pl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A walk-through's check: unless @cond, *@ok = false and
 * "  ** CHECK FAILED: <msg> **" on stdout.  Returns @cond.
 */
bool pl_vcheck(bool *ok, bool cond, const char *fmt, va_list ap);
/* The same with the message's arguments given directly. */
bool pl_check(bool *ok, bool cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print @s as a JSON string on stdout, quotes included. */
void pl_json_str(const char *s);
/* True if argv holds -h or --help. */
bool pl_wants_help(int argc, char **argv);
/* Open the device, or print why not (with a hint) and return -1. */
int pl_open_or_explain(void);
/* A user-given number, decimal or 0x hex, the whole string. */
bool pl_parse_addr(const char *s, unsigned long long *v);

#endif /* PL_CLI_H */
