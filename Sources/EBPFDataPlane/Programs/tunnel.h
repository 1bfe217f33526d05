/*
 * The maps' layouts shared by the programs (tunnel.bpf.c) and the agent, which
 * writes the settings and routes and reads the counters (EBPFDataPlane).
 */
#ifndef GLM_TUNNEL_H
#define GLM_TUNNEL_H

#include <linux/types.h>

#define GLM_MAX_ROUTES 65536
#define GLM_MAX_PEERS 4096

/* One entry: what the programs need to know of this end. */
struct glm_settings {
    __u32 local_address; /* network order: the outer source, the address frames arrive for */
    __u32 wan_ifindex;   /* where framed packets leave */
    __u32 tunnel_ifindex;/* where admitted packets enter */
    __u16 port;          /* network order */
    __u16 flags;         /* GLM_PASS_ALL: leave every packet to the user-space tunnel */
};

#define GLM_PASS_ALL 1

/* An LPM-trie key: prefix length, then the address in network order. */
struct glm_prefix {
    __u32 length;
    __u32 address;
};

enum glm_framing {
    GLM_FRAMING_BARE = 0,
    GLM_FRAMING_TLV = 1,
    GLM_FRAMING_GRE = 2,     /* TLV and GRE without a key */
    GLM_FRAMING_GRE_KEY = 3, /* TLV and GRE with `key` */
};

struct glm_route {
    __u32 peer; /* network order */
    __u32 key;  /* host order */
    __u8 framing;
    __u8 reserved[3];
};

/* Indexes of the per-CPU counter array. */
enum glm_counter {
    GLM_PACKETS_OUT = 0,
    GLM_BYTES_OUT,
    GLM_PACKETS_IN,
    GLM_BYTES_IN,
    GLM_DROPPED_NO_ROUTE,
    GLM_DROPPED_SPOOFED,
    GLM_DROPPED_MALFORMED,
    GLM_DROPPED_KEY_MISMATCH,
    GLM_DROPPED_TRANSMIT_FAILED,
    GLM_PASSED_OUT, /* left to the user-space tunnel, from the device */
    GLM_PASSED_IN,  /* left to the user-space tunnel, from the WAN */
    GLM_COUNTER_COUNT,
};

struct glm_peer_traffic {
    __u64 packets_out;
    __u64 bytes_out;
    __u64 packets_in;
    __u64 bytes_in;
};

#endif
