/*
 * An LD_PRELOAD shim that lets the real ipvsadm binary run on a kernel without IPVS, so its own
 * behaviour (argument checks, messages, exit codes, listing formats and sort order) can be
 * compared with the emulation in src/ipvs. ipvsadm first tries generic netlink (absent here),
 * then falls back to the old IPv4-only [gs]etsockopt interface, which this file answers:
 *
 *   IPVSADM_SHIM_TABLE  a table file to list (IPv4 only), lines:
 *                       S <proto 6|17> <addr> <port> <fwmark> <sched> <flags> <timeout> <netmask>
 *                       D <addr> <port> <conn_flags> <weight> <u_threshold> <l_threshold>
 *                       (D lines follow their service, in the kernel's order: newest first)
 *   IPVSADM_SHIM_ERRNO  errno returned for every change request (0 or unset: success)
 *   IPVSADM_SHIM_LOG    file that gets one line per change request
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_SERVICES 4096
#define MAX_DESTS 65536

struct shim_service {
	struct ip_vs_service_entry entry;
	int first_dest;
};

static struct shim_service services[MAX_SERVICES];
static struct ip_vs_dest_entry dests[MAX_DESTS];
static int num_services = -1;

static void load_table(void)
{
	const char *path = getenv("IPVSADM_SHIM_TABLE");
	char line[512];
	FILE *f;
	int num_dests = 0;

	if (num_services >= 0)
		return;
	num_services = 0;
	if (!path || !(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char addr[64], sched[IP_VS_SCHEDNAME_MAXLEN], mask[64];
		unsigned proto, port, fwmark, flags, timeout, conn_flags, u, l;
		int weight;
		if (line[0] == 'S' && num_services < MAX_SERVICES &&
		    sscanf(line, "S %u %63s %u %u %15s %u %u %63s", &proto, addr, &port, &fwmark,
			   sched, &flags, &timeout, mask) == 8) {
			struct shim_service *s = &services[num_services++];
			memset(s, 0, sizeof(*s));
			s->entry.protocol = proto;
			inet_pton(AF_INET, addr, &s->entry.addr);
			s->entry.port = htons(port);
			s->entry.fwmark = fwmark;
			memcpy(s->entry.sched_name, sched, sizeof(sched));
			s->entry.flags = flags;
			s->entry.timeout = timeout;
			inet_pton(AF_INET, mask, &s->entry.netmask);
			s->first_dest = num_dests;
		} else if (line[0] == 'D' && num_services > 0 && num_dests < MAX_DESTS &&
			   sscanf(line, "D %63s %u %u %d %u %u", addr, &port, &conn_flags, &weight, &u,
				  &l) == 6) {
			struct ip_vs_dest_entry *d = &dests[num_dests++];
			memset(d, 0, sizeof(*d));
			inet_pton(AF_INET, addr, &d->addr);
			d->port = htons(port);
			d->conn_flags = conn_flags;
			d->weight = weight;
			d->u_threshold = u;
			d->l_threshold = l;
			services[num_services - 1].entry.num_dests++;
		}
	}
	fclose(f);
}

static struct shim_service *find(__u16 protocol, __be32 addr, __be16 port, __u32 fwmark)
{
	for (int i = 0; i < num_services; i++) {
		struct ip_vs_service_entry *e = &services[i].entry;
		if (fwmark ? e->fwmark == fwmark
			   : (!e->fwmark && e->protocol == protocol && e->addr == addr && e->port == port))
			return &services[i];
	}
	return NULL;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (level == IPPROTO_IP && name >= IP_VS_BASE_CTL && name <= IP_VS_SO_GET_MAX) {
		load_table();
		switch (name) {
		case IP_VS_SO_GET_INFO: {
			struct ip_vs_getinfo *info = val;
			info->version = 0x010201;
			info->size = 4096;
			info->num_services = num_services;
			return 0;
		}
		case IP_VS_SO_GET_SERVICES: {
			struct ip_vs_get_services *get = val;
			get->num_services = num_services;
			for (int i = 0; i < num_services; i++)
				get->entrytable[i] = services[i].entry;
			return 0;
		}
		case IP_VS_SO_GET_SERVICE: {
			struct ip_vs_service_entry *e = val;
			struct shim_service *s = find(e->protocol, e->addr, e->port, e->fwmark);
			if (!s) {
				errno = ESRCH;
				return -1;
			}
			*e = s->entry;
			return 0;
		}
		case IP_VS_SO_GET_DESTS: {
			struct ip_vs_get_dests *get = val;
			struct shim_service *s = find(get->protocol, get->addr, get->port, get->fwmark);
			if (!s) {
				errno = ESRCH;
				return -1;
			}
			get->num_dests = s->entry.num_dests;
			for (unsigned i = 0; i < s->entry.num_dests; i++)
				get->entrytable[i] = dests[s->first_dest + i];
			return 0;
		}
		case IP_VS_SO_GET_TIMEOUT: {
			struct ip_vs_timeout_user *t = val;
			t->tcp_timeout = 900;
			t->tcp_fin_timeout = 120;
			t->udp_timeout = 300;
			return 0;
		}
		case IP_VS_SO_GET_DAEMON:
			memset(val, 0, *len);
			return 0;
		}
		errno = ENOPROTOOPT;
		return -1;
	}
	int (*real)(int, int, int, void *, socklen_t *) = dlsym(RTLD_NEXT, "getsockopt");
	return real(fd, level, name, val, len);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == IPPROTO_IP && name >= IP_VS_BASE_CTL && name <= IP_VS_SO_SET_MAX) {
		const char *log = getenv("IPVSADM_SHIM_LOG");
		const char *err = getenv("IPVSADM_SHIM_ERRNO");
		if (log) {
			FILE *f = fopen(log, "a");
			if (f) {
				fprintf(f, "set %d len %u\n", name - IP_VS_BASE_CTL, (unsigned)len);
				fclose(f);
			}
		}
		if (err && atoi(err)) {
			errno = atoi(err);
			return -1;
		}
		return 0;
	}
	int (*real)(int, int, int, const void *, socklen_t) = dlsym(RTLD_NEXT, "setsockopt");
	return real(fd, level, name, val, len);
}
