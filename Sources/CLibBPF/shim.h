#ifndef GLM_CLIBBPF_SHIM_H
#define GLM_CLIBBPF_SHIM_H

/*
 * libpcap's <pcap/bpf.h> (the PacketCapture module) defines a classic-BPF struct
 * bpf_insn; the kernel's <linux/bpf.h> another. Both modules meet in one program, so the
 * kernel's is known here by another name (the layout, and so the ABI, is unchanged).
 */
#define bpf_insn glm_ebpf_insn
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#undef bpf_insn

#endif
