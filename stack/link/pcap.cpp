// STUB: pcap writer
