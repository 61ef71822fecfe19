/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope client of ttyscoped's socket protocol (docs/PROTOCOL.md).
 *
 * A client talks to the daemon over its unix socket, or over the standard
 * input and output of a command that carries the protocol, such as
 * "ssh HOST ttyscope stream". It exchanges HELLO, sends requests and reads
 * messages; a blocking call helper gathers the replies of one request.
 * For an event loop, poll tsc_client_fd() and call tsc_client_next()
 * until it returns -EAGAIN (after tsc_client_set_nonblock()).
 *
 * Writing to a command whose end has gone raises SIGPIPE: programs that
 * use tsc_client_spawn() should ignore that signal.
 */
#ifndef TSC_CLIENT_H
#define TSC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsc-proto.h"

struct tsc_client;

int tsc_client_connect(const char *path, struct tsc_client **ret_client);
int tsc_client_spawn(const char *const *argv, struct tsc_client **ret_client);
void tsc_client_free(struct tsc_client *c);

int tsc_client_hello(struct tsc_client *c, const char *name,
		     struct tsc_proto_hello *ret_hello);
int tsc_client_request(struct tsc_client *c,
		       const struct tsc_proto_request *req, uint64_t *ret_id);
int tsc_client_next(struct tsc_client *c, struct tsc_proto_msg *ret_msg);
const char *tsc_client_user_name(const struct tsc_client *c, uint32_t uid);
int tsc_client_call(struct tsc_client *c, const struct tsc_proto_request *req,
		    uint8_t **ret_data, size_t *ret_len);

int tsc_client_fd(const struct tsc_client *c);
int tsc_client_set_nonblock(struct tsc_client *c, bool nonblock);
int tsc_client_wait(struct tsc_client *c, int *ret_status);

#endif /* TSC_CLIENT_H */
