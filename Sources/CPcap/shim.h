#ifndef GLM_CPCAP_SHIM_H
#define GLM_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
