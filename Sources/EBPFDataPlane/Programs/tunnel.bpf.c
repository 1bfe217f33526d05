/*
 * GLM's tunnel in the kernel: two TC programs over the same maps as the agent's
 * routing table (TunnelRoutingTable), framing as Docs/protocol.md §8 says.
 *
 * glm_encap runs at the egress of the tunnel device (a TUN the OS routes tunnelled
 * traffic into, as with the user-space tunnel): the kernel has forwarded the packet
 * already (TTL, fragmentation and "fragmentation needed" at the device's MTU), so the
 * program only frames it for its destinations and redirects it to the WAN.
 *
 * glm_decap runs at the ingress of the WAN interface: a well-formed frame for the
 * tunnel address whose sender the routes admit for its inner addresses and key loses
 * its outer headers and enters the tunnel device, as if the user-space tunnel had
 * written it there.
 *
 * What the programs do not handle whole — an outer fragment, outer IP options, a
 * malformed frame, a packet with a copy for this host's LAN, a super-packet in a
 * framing with a length field — they pass on (TC_ACT_OK) to the user-space tunnel,
 * which still owns the device and the socket and decides exactly as it always does.
 * They count what they pass, move and drop in a per-CPU array the agent reads.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tunnel.h"

/* Newer than the uapi header of Debian 12; older kernels refuse it, and the program retries without. */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct glm_settings);
} glm_settings SEC(".maps");

#define ROUTE_MAP(name)                                   \
    struct {                                              \
        __uint(type, BPF_MAP_TYPE_LPM_TRIE);              \
        __uint(map_flags, BPF_F_NO_PREALLOC);             \
        __uint(max_entries, GLM_MAX_ROUTES);              \
        __type(key, struct glm_prefix);                   \
        __type(value, struct glm_route);                  \
    } name SEC(".maps")

ROUTE_MAP(glm_remote);
ROUTE_MAP(glm_anchored);
ROUTE_MAP(glm_prepared);
ROUTE_MAP(glm_retiring);

/* Destinations with a copy for a LAN of this host: the user-space tunnel handles them. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, GLM_MAX_ROUTES);
    __type(key, __u32);
    __type(value, __u8);
} glm_local SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, GLM_COUNTER_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} glm_counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, GLM_MAX_PEERS);
    __type(key, __u32);
    __type(value, struct glm_peer_traffic);
} glm_peers SEC(".maps");

static __always_inline void count(__u32 counter, __u64 amount)
{
    __u64 *value = bpf_map_lookup_elem(&glm_counters, &counter);
    if (value)
        *value += amount;
}

static __always_inline void count_peer(__u32 peer, __u32 packets, __u64 bytes, int sent)
{
    struct glm_peer_traffic *traffic = bpf_map_lookup_elem(&glm_peers, &peer);
    if (!traffic) {
        struct glm_peer_traffic zero = {};
        bpf_map_update_elem(&glm_peers, &peer, &zero, BPF_NOEXIST);
        traffic = bpf_map_lookup_elem(&glm_peers, &peer);
        if (!traffic)
            return;
    }
    if (sent) {
        traffic->packets_out += packets;
        traffic->bytes_out += bytes;
    } else {
        traffic->packets_in += packets;
        traffic->bytes_in += bytes;
    }
}

/*
 * A packet as the wire carries it, counted as the user-space tunnel counts: a
 * super-packet (the kernel cuts it into gso_segs segments after it is framed, or a
 * sender's kernel did before it was merged) is that many packets, each with a copy of
 * the inner IPv4 and TCP or UDP headers at `offset`.
 */
struct wire_count {
    __u32 packets;
    __u32 bytes;
};

static __always_inline struct wire_count wire_count(struct __sk_buff *skb, __u32 offset, __u32 inner)
{
    struct wire_count wire = { .packets = 1, .bytes = inner };
    __u32 segments = skb->gso_segs;
    if (!skb->gso_size || segments < 2)
        return wire;
    __u8 version_ihl, protocol, data_offset;
    if (bpf_skb_load_bytes(skb, offset, &version_ihl, 1) || bpf_skb_load_bytes(skb, offset + 9, &protocol, 1))
        return wire;
    __u32 headers = (version_ihl & 0x0f) * 4;
    if (protocol == IPPROTO_TCP) {
        if (bpf_skb_load_bytes(skb, offset + headers + 12, &data_offset, 1))
            return wire;
        headers += (data_offset >> 4) * 4;
    } else if (protocol == IPPROTO_UDP) {
        headers += sizeof(struct udphdr);
    }
    wire.packets = segments;
    wire.bytes = inner + (segments - 1) * headers;
    return wire;
}

/* Outcomes of the encapsulation's steps besides a TC action. */
#define GLM_PASS (-100)
#define GLM_FAILED (-101)
#define GLM_NO_ROUTE (-102)

static __always_inline struct glm_route *lookup(void *map, __u32 address)
{
    struct glm_prefix key = { .length = 32, .address = address };
    return bpf_map_lookup_elem(map, &key);
}

/* Octets the framing puts between the outer UDP header and the inner packet. */
static __always_inline __u32 framing_length(const struct glm_route *route)
{
    switch (route->framing) {
    case GLM_FRAMING_TLV:
        return 4;
    case GLM_FRAMING_GRE:
        return 8;
    case GLM_FRAMING_GRE_KEY:
        return 12;
    default:
        return 0;
    }
}

/*
 * The one's-complement sum of an IPv4 header without options, folded and complemented:
 * the checksum to write while its field is 0, and 0 when the header is whole.
 */
static __always_inline __u16 header_checksum(const struct iphdr *ip)
{
    const __u16 *words = (const __u16 *)ip;
    __u32 sum = 0;
#pragma unroll
    for (int i = 0; i < 10; i++)
        sum += words[i];
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

/* The outer headers and framing for `route`, `inner` octets of inner packet. */
struct outer {
    struct iphdr ip;
    struct udphdr udp;
    __u8 framing[12];
};
_Static_assert(sizeof(struct outer) == 40, "outer headers are 40 octets at most");

static __always_inline void build_outer(struct outer *outer, const struct glm_settings *settings,
                                        const struct glm_route *route, __u32 inner, __u32 framing)
{
    __u32 udp_length = sizeof(struct udphdr) + framing + inner;
    outer->ip.version = 4;
    outer->ip.ihl = 5;
    outer->ip.tos = 0;
    outer->ip.tot_len = bpf_htons(sizeof(struct iphdr) + udp_length);
    outer->ip.id = bpf_get_prandom_u32() & 0xffff;
    /* Without DF, as the user-space tunnel sends: a narrower WAN fragments. */
    outer->ip.frag_off = 0;
    outer->ip.ttl = 64;
    outer->ip.protocol = IPPROTO_UDP;
    outer->ip.check = 0;
    outer->ip.saddr = settings->local_address;
    outer->ip.daddr = route->peer;
    outer->ip.check = header_checksum(&outer->ip);

    outer->udp.source = settings->port;
    outer->udp.dest = settings->port;
    outer->udp.len = bpf_htons(udp_length);
    outer->udp.check = 0;

    if (framing == 0)
        return;
    __u16 after = framing - 4 + inner;
    outer->framing[0] = 0;
    outer->framing[1] = route->framing == GLM_FRAMING_TLV ? 4 : 47;
    outer->framing[2] = after >> 8;
    outer->framing[3] = after & 0xff;
    if (route->framing == GLM_FRAMING_TLV)
        return;
    outer->framing[4] = route->framing == GLM_FRAMING_GRE_KEY ? 0x20 : 0;
    outer->framing[5] = 0;
    outer->framing[6] = 0x08;
    outer->framing[7] = 0x00;
    __u32 key = bpf_htonl(route->key);
    __builtin_memcpy(&outer->framing[8], &key, 4);
}

/* Writes the outer headers and framing for `route` at `offset`. */
static __always_inline long write_outer(struct __sk_buff *skb, __u32 offset, const struct glm_settings *settings,
                                        const struct glm_route *route, __u32 inner)
{
    __u32 framing = framing_length(route);
    struct outer outer = {};
    build_outer(&outer, settings, route, inner, framing);
    switch (framing) {
    case 0:
        return bpf_skb_store_bytes(skb, offset, &outer, 28, 0);
    case 4:
        return bpf_skb_store_bytes(skb, offset, &outer, 32, 0);
    case 8:
        return bpf_skb_store_bytes(skb, offset, &outer, 36, 0);
    default:
        return bpf_skb_store_bytes(skb, offset, &outer, 40, 0);
    }
}

/*
 * Makes room in front of the inner packet (an L3 packet, as the tunnel device has it)
 * for `route`'s outer headers, marking it encapsulated so that the kernel can still cut
 * a super-packet into segments, each with its own outer headers. Nothing changes when
 * this fails.
 */
static __always_inline long make_room(struct __sk_buff *skb, const struct glm_route *route)
{
    __u32 framing = framing_length(route);
    __u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_FIXED_GSO;
    switch (framing) {
    case 0:
        return bpf_skb_adjust_room(skb, 28, BPF_ADJ_ROOM_MAC, flags);
    case 4:
        return bpf_skb_adjust_room(skb, 32, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L2(4));
    case 8:
        return bpf_skb_adjust_room(skb, 36, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L2(8));
    default:
        return bpf_skb_adjust_room(skb, 40, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L2(12));
    }
}

static __always_inline void count_sent(__u32 peer, struct wire_count wire)
{
    count(GLM_PACKETS_OUT, wire.packets);
    count(GLM_BYTES_OUT, wire.bytes);
    count_peer(peer, wire.packets, wire.bytes, 1);
}

/*
 * The kernel cuts a super-packet after it is framed, each segment getting a copy of the
 * framing: only the bare framing, which has no length field, survives that; and an outer
 * Total Length must fit 16 bits. The user-space tunnel segments the others itself.
 */
static __noinline int encap_to_route(struct __sk_buff *skb, const struct glm_settings *settings,
                                     const struct glm_route *route, __u32 inner)
{
    if (skb->gso_size && route->framing != GLM_FRAMING_BARE)
        return GLM_PASS;
    struct wire_count wire = wire_count(skb, 0, inner);
    if (make_room(skb, route))
        return GLM_PASS;
    if (write_outer(skb, 0, settings, route, inner))
        return GLM_FAILED;
    /* An Ethernet header of zeros in front: bpf_redirect_neigh fills it in. */
    if (bpf_skb_change_head(skb, ETH_HLEN, 0))
        return GLM_FAILED;
    count_sent(route->peer, wire);
    return bpf_redirect_neigh(settings->wan_ifindex, 0, 0, 0);
}

/*
 * A copy for a prepared site (make-before-break) leaves by a clone, which needs its
 * link-layer header written here; then the packet goes on to its route's peer, if any.
 * A clone is not cut apart: super-packets go to the user-space tunnel.
 */
static __noinline int encap_with_copy(struct __sk_buff *skb, const struct glm_settings *settings,
                                      const struct glm_route *route, const struct glm_route *copy, __u32 inner)
{
    if (skb->gso_size)
        return GLM_PASS;
    struct wire_count wire = { .packets = 1, .bytes = inner };
    struct bpf_fib_lookup neighbour = {};
    neighbour.family = 2; /* AF_INET */
    neighbour.ipv4_src = settings->local_address;
    neighbour.ipv4_dst = copy->peer;
    neighbour.ifindex = settings->wan_ifindex;
    if (bpf_fib_lookup(skb, &neighbour, sizeof(neighbour), BPF_FIB_LOOKUP_OUTPUT) != BPF_FIB_LKUP_RET_SUCCESS)
        return GLM_PASS;
    if (make_room(skb, copy))
        return GLM_PASS;
    if (write_outer(skb, 0, settings, copy, inner) || bpf_skb_change_head(skb, ETH_HLEN, 0))
        return GLM_FAILED;
    struct ethhdr ethernet = {};
    __builtin_memcpy(ethernet.h_dest, neighbour.dmac, ETH_ALEN);
    __builtin_memcpy(ethernet.h_source, neighbour.smac, ETH_ALEN);
    ethernet.h_proto = bpf_htons(ETH_P_IP);
    if (bpf_skb_store_bytes(skb, 0, &ethernet, sizeof(ethernet), 0))
        return GLM_FAILED;
    if (bpf_clone_redirect(skb, neighbour.ifindex, 0) == 0)
        count_sent(copy->peer, wire);
    else
        count(GLM_DROPPED_TRANSMIT_FAILED, 1);
    if (!route)
        return TC_ACT_SHOT;
    /* The copy's framing becomes the route's. */
    __s32 difference = (__s32)framing_length(route) - (__s32)framing_length(copy);
    if (difference != 0 && bpf_skb_adjust_room(skb, difference, BPF_ADJ_ROOM_MAC, 0))
        return GLM_FAILED;
    if (write_outer(skb, ETH_HLEN, settings, route, inner))
        return GLM_FAILED;
    count_sent(route->peer, wire);
    return bpf_redirect_neigh(settings->wan_ifindex, 0, 0, 0);
}

/* This end's settings; NULL while the agent has not written them or has every packet take user space. */
static __always_inline struct glm_settings *active_settings(void)
{
    __u32 zero = 0;
    struct glm_settings *settings = bpf_map_lookup_elem(&glm_settings, &zero);
    if (!settings || !settings->wan_ifindex || !settings->tunnel_ifindex || settings->flags & GLM_PASS_ALL)
        return 0;
    return settings;
}

SEC("tc")
int glm_encap(struct __sk_buff *skb)
{
    struct glm_settings *settings = active_settings();
    if (!settings)
        return TC_ACT_OK;

    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    if (data + sizeof(struct iphdr) > data_end) {
        if (skb->len < sizeof(struct iphdr) || bpf_skb_pull_data(skb, sizeof(struct iphdr))) {
            count(GLM_DROPPED_MALFORMED, 1);
            return TC_ACT_SHOT;
        }
        data = (void *)(long)skb->data;
        data_end = (void *)(long)skb->data_end;
        if (data + sizeof(struct iphdr) > data_end) {
            count(GLM_DROPPED_MALFORMED, 1);
            return TC_ACT_SHOT;
        }
    }
    struct iphdr *ip = data;
    if (ip->version != 4 || ip->ihl < 5) {
        count(GLM_DROPPED_MALFORMED, 1);
        return TC_ACT_SHOT;
    }
    __u32 source = ip->saddr, destination = ip->daddr;
    __u32 inner = skb->len;

    int verdict;
    struct glm_route *route = lookup(&glm_anchored, source);
    if (!route)
        route = lookup(&glm_remote, destination);
    struct glm_route *copy = lookup(&glm_prepared, destination);
    if (bpf_map_lookup_elem(&glm_local, &destination) || inner > 65535 - sizeof(struct outer))
        verdict = GLM_PASS;
    else if (copy && !(route && copy->peer == route->peer))
        verdict = encap_with_copy(skb, settings, route, copy, inner);
    else if (route)
        verdict = encap_to_route(skb, settings, route, inner);
    else
        verdict = GLM_NO_ROUTE;

    switch (verdict) {
    case GLM_PASS:
        count(GLM_PASSED_OUT, 1);
        return TC_ACT_OK;
    case GLM_FAILED:
        count(GLM_DROPPED_TRANSMIT_FAILED, 1);
        return TC_ACT_SHOT;
    case GLM_NO_ROUTE:
        count(GLM_DROPPED_NO_ROUTE, 1);
        return TC_ACT_SHOT;
    default:
        return verdict;
    }
}

/* 0 when `route` admits a frame from `sender` with that key; otherwise why not. */
static __always_inline __u32 refusal(const struct glm_route *route, __u32 sender, __u8 keyed, __u32 key)
{
    if (route->peer != sender)
        return GLM_DROPPED_SPOOFED;
    if ((route->framing == GLM_FRAMING_GRE_KEY) != keyed || (keyed && route->key != key))
        return GLM_DROPPED_KEY_MISMATCH;
    return 0;
}

/* A route's refusal joins the reason so far: a key mismatch says most, a spoof more than no route. */
static __always_inline void refuse(__u32 *reason, __u32 why)
{
    if (why == GLM_DROPPED_KEY_MISMATCH || *reason == GLM_DROPPED_NO_ROUTE)
        *reason = why;
}

/* The route that admits a frame, as TunnelRoutingTable.admit decides; NULL and *reason otherwise. */
static __always_inline struct glm_route *admit(__u32 source, __u32 destination, __u8 framing, __u32 key,
                                               __u32 sender, __u32 *reason)
{
    *reason = GLM_DROPPED_NO_ROUTE;
    __u8 keyed = framing == GLM_FRAMING_GRE_KEY;
    __u32 why;
    struct glm_route *route = lookup(&glm_remote, source);
    if (route) {
        if (!(why = refusal(route, sender, keyed, key)))
            return route;
        refuse(reason, why);
    }
    route = lookup(&glm_anchored, destination);
    if (route) {
        if (!(why = refusal(route, sender, keyed, key)))
            return route;
        refuse(reason, why);
    }
    /* A prepared or retiring route admits; it never changes the reason. */
    route = lookup(&glm_prepared, source);
    if (route && !refusal(route, sender, keyed, key))
        return route;
    route = lookup(&glm_retiring, source);
    if (route && !refusal(route, sender, keyed, key))
        return route;
    return 0;
}

#define HEADERS (ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) + 16 + sizeof(struct iphdr))

SEC("tc")
int glm_decap(struct __sk_buff *skb)
{
    struct glm_settings *settings = active_settings();
    if (!settings)
        return TC_ACT_OK;

    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    if (data + ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) > data_end) {
        if (skb->len < ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr)
            || bpf_skb_pull_data(skb, ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr)))
            return TC_ACT_OK;
        data = (void *)(long)skb->data;
        data_end = (void *)(long)skb->data_end;
        if (data + ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) > data_end)
            return TC_ACT_OK;
    }
    struct ethhdr *ethernet = data;
    if (ethernet->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    struct iphdr *ip = data + ETH_HLEN;
    if (ip->protocol != IPPROTO_UDP || ip->daddr != settings->local_address)
        return TC_ACT_OK;
    struct udphdr *udp = (void *)(ip + 1);
    if (ip->version != 4 || ip->ihl != 5 || udp->dest != settings->port)
        return TC_ACT_OK;
    /* Fragments are reassembled by the kernel for the socket. */
    if (ip->frag_off & bpf_htons(0x3fff))
        goto pass;
    /* A header that fails its checksum: the kernel drops it, as it would for the socket. */
    if (header_checksum(ip) != 0)
        goto pass;
    __u32 payload = skb->len - ETH_HLEN - sizeof(struct iphdr) - sizeof(struct udphdr);
    if (bpf_ntohs(ip->tot_len) != skb->len - ETH_HLEN || bpf_ntohs(udp->len) != payload + sizeof(struct udphdr))
        goto pass;

    if (data + HEADERS > data_end) {
        if (bpf_skb_pull_data(skb, skb->len < HEADERS ? skb->len : HEADERS))
            goto pass;
        data = (void *)(long)skb->data;
        data_end = (void *)(long)skb->data_end;
    }
    __u8 *frame = data + ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr);
    if ((void *)(frame + 4) > data_end)
        goto pass;
    ip = data + ETH_HLEN;
    __u32 sender = ip->saddr;

    __u8 framing = GLM_FRAMING_BARE;
    __u32 offset = 0, key = 0;
    if (frame[0] >> 4 == 4) {
        framing = GLM_FRAMING_BARE;
    } else if (frame[0] >> 4 == 0) {
        __u32 length = ((__u32)frame[2] << 8) | frame[3];
        if (length != payload - 4)
            goto pass;
        if (frame[1] == 4) {
            framing = GLM_FRAMING_TLV;
            offset = 4;
        } else if (frame[1] == 47) {
            if ((void *)(frame + 16) > data_end)
                goto pass;
            __u16 flags = ((__u16)frame[4] << 8) | frame[5];
            /* Checksum or sequence number, other versions or protocols: user space. */
            if ((flags & ~0x2000) != 0 || frame[6] != 0x08 || frame[7] != 0x00)
                goto pass;
            if (flags & 0x2000) {
                framing = GLM_FRAMING_GRE_KEY;
                key = ((__u32)frame[8] << 24) | ((__u32)frame[9] << 16) | ((__u32)frame[10] << 8) | frame[11];
                offset = 12;
            } else {
                framing = GLM_FRAMING_GRE;
                offset = 8;
            }
        } else {
            goto pass;
        }
    } else {
        goto pass;
    }
    struct iphdr *inner = (void *)(frame + offset);
    if (offset > 12 || (void *)(inner + 1) > data_end)
        goto pass;
    if (inner->version != 4 || inner->ihl < 5)
        goto pass;
    __u32 inner_length = payload - offset;
    /* The inner packet's Total Length is the octets present and holds its header; a run
       of datagrams is not one packet. */
    if (bpf_ntohs(inner->tot_len) != inner_length || inner->ihl * 4 > inner_length)
        goto pass;

    __u32 reason;
    struct glm_route *route = admit(inner->saddr, inner->daddr, framing, key, sender, &reason);
    if (!route) {
        count(reason, 1);
        return TC_ACT_SHOT;
    }
    __s32 outer = sizeof(struct iphdr) + sizeof(struct udphdr) + offset;
    struct wire_count wire = wire_count(skb, ETH_HLEN + outer, inner_length);
    /* The inner MSS stays; kernels before 6.3 do not know the decapsulation flag. */
    if (bpf_skb_adjust_room(skb, -outer, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4)
        && bpf_skb_adjust_room(skb, -outer, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO)) {
        count(GLM_DROPPED_TRANSMIT_FAILED, 1);
        return TC_ACT_SHOT;
    }
    count(GLM_PACKETS_IN, wire.packets);
    count(GLM_BYTES_IN, wire.bytes);
    count_peer(sender, wire.packets, wire.bytes, 0);
    return bpf_redirect(settings->tunnel_ifindex, BPF_F_INGRESS);

pass:
    count(GLM_PASSED_IN, 1);
    return TC_ACT_OK;
}
