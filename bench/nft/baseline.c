// The C baseline for bench/nft: what libnftnl + libmnl achieve with a batch built beforehand.
// Run inside the target namespace (ip netns exec NS baseline MODE N):
//   rules N   one transaction: table t, chain c, N rules `ip saddr X meta mark set Y`
//   rules-echo N   the same with NLM_F_ECHO on every rule, each echoed rule's handle read and
//             kept (what a caller who wants the handles back pays; routemark's default)
//   map N     one transaction: table t, map m (ipv4_addr : mark) with N elements
//   churn N   (chain c of table t must exist) N times: add one rule (echo for its handle),
//             then delete it by handle, one transaction each
// Prints the seconds spent sending and waiting for the kernel (the batch is built first).
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct mnl_socket *nl;
static uint32_t seq = 1;

// Handles of echoed rules, in the order the kernel echoed them.
static uint64_t *handles;
static size_t handle_count;

static int handle_attr(const struct nlattr *attr, void *data) {
  if (mnl_attr_get_type(attr) == NFTA_RULE_HANDLE) *(uint64_t *)data = be64toh(mnl_attr_get_u64(attr));
  return MNL_CB_OK;
}

// Sends one buffer, then a NOOP asking for an ack: when the ack arrives, the kernel has
// answered everything before it. Fails on any error the kernel returned. Returns the handle of
// the last echoed rule, if any (all of them are kept in `handles` when that is allocated).
static uint64_t send_and_wait(const void *data, size_t len) {
  if (mnl_socket_sendto(nl, data, len) < 0) { perror("sendto"); exit(1); }
  char noop[NLMSG_HDRLEN];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(noop);
  nlh->nlmsg_type = NLMSG_NOOP;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq++;
  uint32_t noop_seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl, noop, nlh->nlmsg_len) < 0) { perror("sendto noop"); exit(1); }
  static char buf[1 << 20];
  uint64_t handle = 0;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n < 0) { perror("recv"); exit(1); }
    int left = (int)n;
    for (struct nlmsghdr *m = (struct nlmsghdr *)buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
      if (m->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *err = mnl_nlmsg_get_payload(m);
        if (err->error != 0) { fprintf(stderr, "kernel error %d (seq %u)\n", -err->error, m->nlmsg_seq); exit(1); }
        if (m->nlmsg_seq == noop_seq) return handle;
      } else if ((m->nlmsg_type & 0xff) == NFT_MSG_NEWRULE) {
        // Only the handle attribute is read, as a caller that wants the handles needs no more.
        mnl_attr_parse(m, sizeof(struct nfgenmsg), handle_attr, &handle);
        if (handles != NULL) handles[handle_count++] = handle;
      }
    }
  }
}

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e) { nftnl_rule_add_expr(r, e); }

static struct nftnl_rule *mark_rule(uint32_t addr, uint32_t mark) {
  struct nftnl_rule *r = nftnl_rule_alloc();
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "c");
  struct nftnl_expr *e = nftnl_expr_alloc("payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 12);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
  add_expr(r, e);
  e = nftnl_expr_alloc("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  uint32_t be = htonl(addr);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &be, 4);
  add_expr(r, e);
  e = nftnl_expr_alloc("immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &mark, 4);
  add_expr(r, e);
  e = nftnl_expr_alloc("meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
  add_expr(r, e);
  return r;
}

static void put_table_and_chain(struct mnl_nlmsg_batch *b) {
  struct nftnl_table *t = nftnl_table_alloc();
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, "t");
  struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NFPROTO_IPV4, NLM_F_CREATE, seq++);
  nftnl_table_nlmsg_build_payload(nlh, t);
  nftnl_table_free(t);
  mnl_nlmsg_batch_next(b);
  struct nftnl_chain *c = nftnl_chain_alloc();
  nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "t");
  nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "c");
  nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN, NFPROTO_IPV4, NLM_F_CREATE, seq++);
  nftnl_chain_nlmsg_build_payload(nlh, c);
  nftnl_chain_free(c);
  mnl_nlmsg_batch_next(b);
}

static void set_buffers(size_t bytes) {
  int size = (int)(bytes + (1 << 20));
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
  int rcv = 64 << 20;
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s rules|rules-echo|map|churn N\n", argv[0]); return 2; }
  const char *mode = argv[1];
  long n = atol(argv[2]);
  nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) { perror("mnl_socket"); return 1; }

  if (strcmp(mode, "churn") == 0) {
    // Build both messages of every change up front; the handle is patched in after the echo.
    static char buf[8192];
    double start = now();
    for (long i = 0; i < n; i++) {
      struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
      nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
      mnl_nlmsg_batch_next(b);
      struct nftnl_rule *r = mark_rule(0xc0000200 + (uint32_t)i, (uint32_t)i + 1);
      struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE, NFPROTO_IPV4, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ECHO, seq++);
      nftnl_rule_nlmsg_build_payload(nlh, r);
      nftnl_rule_free(r);
      mnl_nlmsg_batch_next(b);
      nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
      mnl_nlmsg_batch_next(b);
      uint64_t handle = send_and_wait(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
      mnl_nlmsg_batch_stop(b);

      b = mnl_nlmsg_batch_start(buf, sizeof(buf));
      nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
      mnl_nlmsg_batch_next(b);
      r = nftnl_rule_alloc();
      nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
      nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "c");
      nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
      nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_DELRULE, NFPROTO_IPV4, 0, seq++);
      nftnl_rule_nlmsg_build_payload(nlh, r);
      nftnl_rule_free(r);
      mnl_nlmsg_batch_next(b);
      nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
      mnl_nlmsg_batch_next(b);
      send_and_wait(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
      mnl_nlmsg_batch_stop(b);
    }
    printf("%.6f\n", now() - start);
    return 0;
  }

  size_t size = 4096 + (size_t)n * 256;
  char *buf = malloc(size);
  struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, size);
  nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
  mnl_nlmsg_batch_next(b);
  put_table_and_chain(b);
  int echo = strcmp(mode, "rules-echo") == 0;
  if (strcmp(mode, "rules") == 0 || echo) {
    if (echo) handles = calloc((size_t)n, sizeof(uint64_t));
    for (long i = 0; i < n; i++) {
      struct nftnl_rule *r = mark_rule(0x0a000000 + (uint32_t)i, (uint32_t)i);
      struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE, NFPROTO_IPV4, NLM_F_CREATE | NLM_F_APPEND | (echo ? NLM_F_ECHO : 0), seq++);
      nftnl_rule_nlmsg_build_payload(nlh, r);
      nftnl_rule_free(r);
      mnl_nlmsg_batch_next(b);
    }
  } else if (strcmp(mode, "map") == 0) {
    struct nftnl_set *s = nftnl_set_alloc();
    nftnl_set_set_str(s, NFTNL_SET_TABLE, "t");
    nftnl_set_set_str(s, NFTNL_SET_NAME, "m");
    nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
    nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 7);   // ipv4_addr
    nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
    nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, 19); // mark
    nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 4);
    nftnl_set_set_u32(s, NFTNL_SET_ID, 1);
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWSET, NFPROTO_IPV4, NLM_F_CREATE, seq++);
    nftnl_set_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
    mnl_nlmsg_batch_next(b);
    for (long i = 0; i < n;) {
      struct nftnl_set *chunk = nftnl_set_alloc();
      nftnl_set_set_str(chunk, NFTNL_SET_TABLE, "t");
      nftnl_set_set_str(chunk, NFTNL_SET_NAME, "m");
      nftnl_set_set_u32(chunk, NFTNL_SET_ID, 1);
      for (long k = 0; k < 2000 && i < n; k++, i++) {
        struct nftnl_set_elem *e = nftnl_set_elem_alloc();
        uint32_t key = htonl(0x0a000000 + (uint32_t)i), mark = (uint32_t)i + 1;
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, 4);
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &mark, 4);
        nftnl_set_elem_add(chunk, e);
      }
      nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWSETELEM, NFPROTO_IPV4, NLM_F_CREATE, seq++);
      nftnl_set_elems_nlmsg_build_payload(nlh, chunk);
      nftnl_set_free(chunk);
      mnl_nlmsg_batch_next(b);
    }
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
  mnl_nlmsg_batch_next(b);
  set_buffers(mnl_nlmsg_batch_size(b));
  double start = now();
  send_and_wait(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
  double elapsed = now() - start;
  if (echo && handle_count != (size_t)n) { fprintf(stderr, "expected %ld echoed rules, got %zu\n", n, handle_count); return 1; }
  printf("%.6f\n", elapsed);
  return 0;
}
