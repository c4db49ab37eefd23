/*
 * km_nodelay.so: an LD_PRELOAD shim for bench/km_run.sh that sets
 * TCP_NODELAY on every TCP socket the process connects. It shows how
 * much of the KM client's wall time over HTTPS is Nagle's algorithm
 * meeting the server's delayed ACK (egca_km_client_https writes the
 * HTTP head and the body as two TLS records). Not part of egca.
 *
 *   cc -O2 -shared -fPIC -o km_nodelay.so bench/km_nodelay.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef int connect_fn(int, const struct sockaddr *, socklen_t);

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static connect_fn *real;
	int one = 1;

	if (real == NULL)
		real = (connect_fn *)dlsym(RTLD_NEXT, "connect");
	if (real == NULL)
		return -1;
	if (sa != NULL &&
	    (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		(void)setsockopt(
		    fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return real(fd, sa, len);
}
