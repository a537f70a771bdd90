// The project's C baseline for rtnetlink bulk work: the practical ceiling routemark is measured
// against. It builds every message with libmnl before the clock starts, then sends them in
// batches (one sendmsg of up to BATCH_BYTES, no NLM_F_ACK per message, one NLMSG_NOOP with
// NLM_F_ACK after each batch whose ack proves the batch answered) and reads the replies.
//
// usage: rtnl_baseline NETNS_PATH rules|routes add|del COUNT naive|friendly IFINDEX
//   rules:  fwmark i+1, priority 1000+i, table 100 (IPv4)
//           naive:    add in ascending priority with NLM_F_EXCL (what one-by-one `ip rule add` does),
//                     delete in descending priority
//           friendly: add in descending priority without NLM_F_EXCL, delete in ascending priority
//   routes: 10.a.b.c/32 dev IFINDEX table 100, in order (naive and friendly are the same)
// prints: {"seconds": S, "errors": N, "sendmsg": K}
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_BYTES (1 << 20)

static size_t put_rule(char *at, int add, int excl, unsigned i) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
  nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
  nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE : 0) | (add && excl ? NLM_F_EXCL : 0);
  struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
  frh->family = AF_INET;
  frh->table = 100;
  frh->action = add ? FR_ACT_TO_TBL : FR_ACT_UNSPEC;
  mnl_attr_put_u32(nlh, FRA_FWMARK, i + 1);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, 1000 + i);
  return nlh->nlmsg_len;
}

static size_t put_route(char *at, int add, unsigned i, unsigned ifindex) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
  nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 32;
  rtm->rtm_table = 100;
  rtm->rtm_protocol = add ? RTPROT_BOOT : 0;
  rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
  rtm->rtm_type = add ? RTN_UNICAST : RTN_UNSPEC;
  unsigned addr = htonl((10u << 24) | i);
  mnl_attr_put(nlh, RTA_DST, 4, &addr);
  mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
  return nlh->nlmsg_len;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s NETNS_PATH rules|routes add|del COUNT naive|friendly IFINDEX\n", argv[0]);
    return 2;
  }
  int rules = strcmp(argv[2], "rules") == 0;
  int add = strcmp(argv[3], "add") == 0;
  unsigned count = (unsigned)atoi(argv[4]);
  int friendly = strcmp(argv[5], "friendly") == 0;
  unsigned ifindex = (unsigned)atoi(argv[6]);

  int nsfd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
    perror("setns");
    return 1;
  }
  close(nsfd);
  struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    perror("mnl_socket");
    return 1;
  }
  int fd = mnl_socket_get_fd(nl);
  int size = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
  size = 64 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

  // Build every message first: the clock measures sending and the kernel's work only.
  size_t capacity = (size_t)count * 64 + 64;
  char *buffer = calloc(1, capacity);
  size_t *offsets = calloc(count + 1, sizeof(size_t));
  size_t used = 0;
  for (unsigned k = 0; k < count; k++) {
    unsigned i = k;
    if (rules && ((add && friendly) || (!add && !friendly))) i = count - 1 - k; // descending priority
    offsets[k] = used;
    used += rules ? put_rule(buffer + used, add, !friendly, i) : put_route(buffer + used, add, i, ifindex);
    ((struct nlmsghdr *)(buffer + offsets[k]))->nlmsg_seq = k + 1;
  }
  offsets[count] = used;

  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  char reply[1 << 16];
  unsigned errors = 0, sends = 0, k = 0, sentinel_seq = count + 1;
  while (k < count) {
    unsigned first = k;
    while (k < count && offsets[k + 1] - offsets[first] <= BATCH_BYTES) k++;
    if (k == first) k++;
    if (send(fd, buffer + offsets[first], offsets[k] - offsets[first], 0) < 0) {
      perror("send");
      return 1;
    }
    sends++;
    char noop[MNL_NLMSG_HDRLEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(noop);
    nlh->nlmsg_type = NLMSG_NOOP;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++sentinel_seq;
    if (send(fd, noop, nlh->nlmsg_len, 0) < 0) {
      perror("send");
      return 1;
    }
    sends++;
    for (int done = 0; !done;) {
      ssize_t n = recv(fd, reply, sizeof(reply), 0);
      if (n < 0) {
        perror("recv");
        return 1;
      }
      for (struct nlmsghdr *m = (struct nlmsghdr *)reply; mnl_nlmsg_ok(m, (int)n); m = mnl_nlmsg_next(m, (int *)&n)) {
        if (m->nlmsg_type != NLMSG_ERROR) continue;
        struct nlmsgerr *err = mnl_nlmsg_get_payload(m);
        if (m->nlmsg_seq == sentinel_seq) done = 1;
        else if (err->error != 0) errors++;
      }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  printf("{\"seconds\": %.6f, \"errors\": %u, \"sendmsg\": %u}\n", seconds, errors, sends);
  mnl_socket_close(nl);
  free(buffer);
  free(offsets);
  return 0;
}
