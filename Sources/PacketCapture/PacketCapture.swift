// The PacketCapture module: libpcap capture files and live capture.
