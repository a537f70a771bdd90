/*
 * C baseline for the conntrack benchmark: libmnl, batches built before the clock starts, sent
 * the way routemark sends them (no per-message ACK, one trailing NOOP+ACK per sendmsg).
 *
 *   baseline create N        create N UDP flows with mark 1
 *   baseline update OLD NEW  dump flows with mark OLD (kernel filter), set mark NEW on each
 *   baseline delete MARK     dump flows with mark MARK, delete each
 *
 * Prints the seconds spent in the kernel work (sending, receiving, dumping), and the number of
 * failed operations. Run inside the namespace (ip netns exec).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK (1u << 20)

static struct mnl_socket *nl;
static unsigned int portid;
static uint32_t seq = 1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct nlmsghdr *begin(char *at, uint16_t type, uint16_t flags, uint8_t family) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq++;
  struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

static int count_errors(const struct nlmsghdr *nlh, void *data) {
  if (nlh->nlmsg_type == NLMSG_ERROR) {
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
    if (err->error != 0 && nlh->nlmsg_seq != *(uint32_t *)data) (*((int *)data + 1))++;
  }
  return MNL_CB_OK;
}

/* Sends [buf, buf+len) in chunks of whole messages, each followed by a NOOP+ACK; returns errors. */
static int send_all(char *buf, size_t len) {
  static char reply[1 << 16];
  int failed = 0;
  size_t off = 0;
  while (off < len) {
    size_t end = off;
    while (end < len) {
      struct nlmsghdr *m = (struct nlmsghdr *)(buf + end);
      if (end > off && end + m->nlmsg_len - off > CHUNK) break;
      end += NLMSG_ALIGN(m->nlmsg_len);
    }
    if (mnl_socket_sendto(nl, buf + off, end - off) < 0) { perror("sendto"); exit(1); }
    char noop[NLMSG_HDRLEN];
    struct nlmsghdr *n = mnl_nlmsg_put_header(noop);
    n->nlmsg_type = NLMSG_NOOP;
    n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    n->nlmsg_seq = seq++;
    if (mnl_socket_sendto(nl, noop, n->nlmsg_len) < 0) { perror("sendto"); exit(1); }
    uint32_t state[2] = { n->nlmsg_seq, 0 };
    for (;;) {
      int r = mnl_socket_recvfrom(nl, reply, sizeof reply);
      if (r < 0) { perror("recv"); exit(1); }
      int done = 0;
      for (struct nlmsghdr *h = (struct nlmsghdr *)reply; mnl_nlmsg_ok(h, r); h = mnl_nlmsg_next(h, &r)) {
        count_errors(h, state);
        if (h->nlmsg_seq == state[0]) done = 1;
      }
      if (done) break;
    }
    failed += (int)state[1];
    off = end;
  }
  return failed;
}

static void put_tuple(struct nlmsghdr *nlh, int type, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  struct nlattr *t = mnl_attr_nest_start(nlh, type);
  struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
  mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
  mnl_attr_nest_end(nlh, ip);
  struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
  mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
  mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
  mnl_attr_nest_end(nlh, p);
  mnl_attr_nest_end(nlh, t);
}

/* Tuples collected from a dump: the raw CTA_TUPLE_ORIG attribute of each flow. */
struct tuples { char *data; size_t len, cap; int count; };

static int collect(const struct nlmsghdr *nlh, void *data) {
  struct tuples *t = data;
  const struct nlattr *attr;
  mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
    if (mnl_attr_get_type(attr) == CTA_TUPLE_ORIG) {
      size_t size = NLA_ALIGN(attr->nla_len);
      if (t->len + size > t->cap) { t->cap = (t->cap + size) * 2; t->data = realloc(t->data, t->cap); }
      memcpy(t->data + t->len, attr, size);
      t->len += size;
      t->count++;
    }
  }
  return MNL_CB_OK;
}

static void dump_marked(uint32_t mark, struct tuples *out) {
  static char buf[1 << 16];
  char req[256];
  struct nlmsghdr *nlh = begin(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_INET);
  mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
  mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(0xffffffff));
  uint32_t dump_seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) { perror("sendto"); exit(1); }
  for (;;) {
    int r = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (r < 0) { perror("recv"); exit(1); }
    r = mnl_cb_run(buf, r, dump_seq, portid, collect, out);
    if (r <= MNL_CB_STOP) break;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: baseline create N | update OLD NEW | delete MARK\n"); return 2; }
  nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) { perror("socket"); return 1; }
  portid = mnl_socket_get_portid(nl);
  int one = 1, snd = 4 << 20, rcv = 8 << 20;
  mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd);
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);

  double start, elapsed;
  int failed = 0;
  if (strcmp(argv[1], "create") == 0) {
    int n = atoi(argv[2]);
    char *buf = malloc((size_t)n * 256), *at = buf;
    for (int i = 0; i < n; i++) {
      uint32_t src = htonl((10u << 24) | (uint32_t)i), dst = htonl(0xc0000235); /* 192.0.2.53 */
      uint16_t sport = 1024 + i % 60000;
      struct nlmsghdr *nlh = begin(at, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, AF_INET);
      put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, sport, 53);
      put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, 53, sport);
      mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(600));
      mnl_attr_put_u32(nlh, CTA_MARK, htonl(1));
      at += NLMSG_ALIGN(nlh->nlmsg_len);
    }
    start = now();
    failed = send_all(buf, at - buf);
    elapsed = now() - start;
  } else if (strcmp(argv[1], "update") == 0 || strcmp(argv[1], "delete") == 0) {
    int update = argv[1][0] == 'u';
    uint32_t mark = strtoul(argv[2], NULL, 0), next = update && argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
    struct tuples tuples = {0};
    start = now();
    dump_marked(mark, &tuples);
    char *buf = malloc((size_t)tuples.count * 256 + 256), *at = buf;
    size_t off = 0;
    for (int i = 0; i < tuples.count; i++) {
      struct nlattr *tuple = (struct nlattr *)(tuples.data + off);
      struct nlmsghdr *nlh = begin(at, update ? IPCTNL_MSG_CT_NEW : IPCTNL_MSG_CT_DELETE, 0, AF_INET);
      memcpy((char *)nlh + nlh->nlmsg_len, tuple, NLA_ALIGN(tuple->nla_len));
      nlh->nlmsg_len += NLA_ALIGN(tuple->nla_len);
      if (update) mnl_attr_put_u32(nlh, CTA_MARK, htonl(next));
      at += NLMSG_ALIGN(nlh->nlmsg_len);
      off += NLA_ALIGN(tuple->nla_len);
    }
    failed = send_all(buf, at - buf);
    elapsed = now() - start;
  } else {
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
  }
  printf("%.6f %d\n", elapsed, failed);
  mnl_socket_close(nl);
  return 0;
}
