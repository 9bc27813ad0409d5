// Image I/O: PNG and JPEG decoding/encoding, resizing and cropping.
