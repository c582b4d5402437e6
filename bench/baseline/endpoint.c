// The kernel floor for bench/endpoint.mjs: the same bridge endpoint (named
// netns, lo up, veth with eth0 created in it on the bridge, IPv6 address
// generation off on both ends, both ends up, an address, a default route),
// done in-process with raw rtnetlink, unshare and mount, one thread, the
// fewest messages the kernel accepts. Built by the bench with the system
// compiler and run in the same sandbox.
//
//   endpoint BRIDGE FIRST COUNT cycle   set up and tear down each: "setup_ms teardown_ms" a line
//   endpoint BRIDGE FIRST COUNT keep    set up all, then tear down all: "setup_ms" a line
//   endpoint BRIDGE FIRST COUNT steps   as keep, each line followed by the steps' ms:
//                                       "setup_ms netns lo veth peer_up host_up addr_route"
//   endpoint BRIDGE FIRST COUNT ready   the warm pool's floor: each endpoint made ready
//                                       untimed (host end up, sandbox end down, no
//                                       address), then timed: the sandbox end up, the
//                                       address and route: "ms up_ms addr_route_ms" a line
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIE(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(1))

struct msg { struct nlmsghdr h; char buf[1024]; };
static unsigned seq;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void *start(struct msg *m, int type, int flags, const void *hdr, size_t len) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  m->h.nlmsg_seq = ++seq;
  m->h.nlmsg_len = NLMSG_LENGTH(len);
  memcpy(NLMSG_DATA(&m->h), hdr, len);
  return NLMSG_DATA(&m->h);
}
static struct rtattr *put(struct msg *m, int type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (data) memcpy(RTA_DATA(a), data, len);
  m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}
static void end(struct msg *m, struct rtattr *nest) { nest->rta_len = (char *)m + m->h.nlmsg_len - (char *)nest; }
static void put_u32(struct msg *m, int type, unsigned v) { put(m, type, &v, 4); }

// Sends `n` messages in one sendmsg and reads their `n` ACKs.
static void transact(int fd, struct msg *ms, int n) {
  struct iovec iov[8];
  for (int i = 0; i < n; i++) iov[i] = (struct iovec){&ms[i], ms[i].h.nlmsg_len};
  struct sockaddr_nl k = {.nl_family = AF_NETLINK};
  struct msghdr mh = {.msg_name = &k, .msg_namelen = sizeof k, .msg_iov = iov, .msg_iovlen = n};
  if (sendmsg(fd, &mh, 0) < 0) DIE("sendmsg: %s", strerror(errno));
  char buf[8192];
  for (int acks = 0; acks < n;) {
    int len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) DIE("recv: %s", strerror(errno));
    for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (err) DIE("netlink request %u: %s", h->nlmsg_seq, strerror(-err));
      acks++;
    }
  }
}

static int rtnl_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) DIE("socket: %s", strerror(errno));
  return fd;
}

// addr_gen_mode none, then up: two messages, because the kernel applies the
// flags before IFLA_AF_SPEC in one request.
static void quiet_up(struct msg *m, int index, const char *name) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
  start(&m[0], RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (!index) put(&m[0], IFLA_IFNAME, name, strlen(name) + 1);
  struct rtattr *spec = put(&m[0], IFLA_AF_SPEC, NULL, 0), *in6 = put(&m[0], AF_INET6, NULL, 0);
  unsigned char none = IN6_ADDR_GEN_MODE_NONE;
  put(&m[0], IFLA_INET6_ADDR_GEN_MODE, &none, 1);
  end(&m[0], in6);
  end(&m[0], spec);
  ifi.ifi_flags = ifi.ifi_change = IFF_UP;
  start(&m[1], RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (!index) put(&m[1], IFLA_IFNAME, name, strlen(name) + 1);
}

enum { STEP_NETNS, STEP_LO, STEP_VETH, STEP_PEER_UP, STEP_HOST_UP, STEP_ADDR, STEPS };
struct endpoint { int nsfd, rtnl; char path[64]; double step[STEPS]; };

static void setup(struct endpoint *e, int host, int home, unsigned bridge, int i, int ready) {
  struct msg m[2];
  double t = now_ms(), t1;
#define STEP(k) (t1 = now_ms(), e->step[k] = t1 - t, t = t1)
  snprintf(e->path, sizeof e->path, "/run/netns/c%d", i);
  int f = open(e->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (f < 0) DIE("create %s: %s", e->path, strerror(errno));
  close(f);
  if (unshare(CLONE_NEWNET) < 0) DIE("unshare: %s", strerror(errno));
  if (mount("/proc/self/ns/net", e->path, "none", MS_BIND, NULL) < 0) DIE("mount: %s", strerror(errno));
  e->nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  e->rtnl = rtnl_socket();
  if (setns(home, CLONE_NEWNET) < 0) DIE("setns: %s", strerror(errno));
  STEP(STEP_NETNS);

  struct ifinfomsg lo = {.ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  start(&m[0], RTM_NEWLINK, 0, &lo, sizeof lo);
  transact(e->rtnl, m, 1);
  STEP(STEP_LO);

  char name[IFNAMSIZ];
  snprintf(name, sizeof name, "vc%d", i);
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  start(&m[0], RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  put(&m[0], IFLA_IFNAME, name, strlen(name) + 1);
  put_u32(&m[0], IFLA_MASTER, bridge);
  struct rtattr *info = put(&m[0], IFLA_LINKINFO, NULL, 0);
  put(&m[0], IFLA_INFO_KIND, "veth", 5);
  struct rtattr *data = put(&m[0], IFLA_INFO_DATA, NULL, 0), *peer = put(&m[0], VETH_INFO_PEER, NULL, 0);
  m[0].h.nlmsg_len += sizeof ifi;  // the peer's own ifinfomsg, zeroed by start()
  put(&m[0], IFLA_IFNAME, "eth0", 5);
  put_u32(&m[0], IFLA_NET_NS_FD, e->nsfd);
  end(&m[0], peer);
  end(&m[0], data);
  end(&m[0], info);
  transact(host, m, 1);
  STEP(STEP_VETH);

  if (ready) {
    // As the pool leaves it: the host end up, the sandbox end configured but down.
    quiet_up(m, 0, name);
    transact(host, m, 2);
    quiet_up(m, 0, "eth0");
    transact(e->rtnl, m, 1);
    // Made ahead: whatever the kernel does in the background for the new port is done before it is used.
    usleep(5000);
    t = now_ms();
    transact(e->rtnl, &m[1], 1);
    STEP(STEP_PEER_UP);
  } else {
    quiet_up(m, 0, "eth0");
    transact(e->rtnl, m, 2);
    STEP(STEP_PEER_UP);
    quiet_up(m, 0, name);
    transact(host, m, 2);
    STEP(STEP_HOST_UP);
  }

  // ifindexes are per namespace: eth0 is the first link made after lo.
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 16, .ifa_index = 2};
  unsigned addr = htonl(0xac120000u + 2 + i);
  start(&m[0], RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  put(&m[0], IFA_LOCAL, &addr, 4);
  put(&m[0], IFA_ADDRESS, &addr, 4);
  struct rtmsg rt = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                     .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
  unsigned gw = htonl(0xac120001u);
  start(&m[1], RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
  put(&m[1], RTA_GATEWAY, &gw, 4);
  transact(e->rtnl, m, 2);
  STEP(STEP_ADDR);
#undef STEP
}

static void teardown(struct endpoint *e) {
  close(e->rtnl);
  close(e->nsfd);
  if (umount2(e->path, MNT_DETACH) < 0) DIE("umount %s: %s", e->path, strerror(errno));
  if (unlink(e->path) < 0) DIE("unlink %s: %s", e->path, strerror(errno));
}

int main(int argc, char **argv) {
  if (argc != 5) DIE("usage: endpoint BRIDGE FIRST COUNT cycle|keep|steps|ready");
  unsigned bridge = if_nametoindex(argv[1]);
  if (!bridge) DIE("no bridge %s", argv[1]);
  int first = atoi(argv[2]), count = atoi(argv[3]), steps = !strcmp(argv[4], "steps"), ready = !strcmp(argv[4], "ready");
  int keep = steps || ready || !strcmp(argv[4], "keep");
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), host = rtnl_socket();
  struct endpoint *eps = calloc(count, sizeof *eps);
  for (int k = 0; k < count; k++) {
    double t0 = now_ms();
    setup(&eps[k], host, home, bridge, first + k, ready);
    double t1 = now_ms();
    if (ready) {
      printf("%.4f %.4f %.4f\n", eps[k].step[STEP_PEER_UP] + eps[k].step[STEP_ADDR], eps[k].step[STEP_PEER_UP], eps[k].step[STEP_ADDR]);
      continue;
    }
    if (keep) {
      printf("%.4f", t1 - t0);
      if (steps)
        for (int j = 0; j < STEPS; j++) printf(" %.4f", eps[k].step[j]);
      printf("\n");
      continue;
    }
    teardown(&eps[k]);
    printf("%.4f %.4f\n", t1 - t0, now_ms() - t1);
  }
  if (keep)
    for (int k = 0; k < count; k++) teardown(&eps[k]);
  return 0;
}
