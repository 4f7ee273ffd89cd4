// Package safetensors reads and writes the safetensors checkpoint format used by Hugging Face
// models, with no dependency outside the standard library.
//
// # The format
//
// A file is three parts:
//
//	[8 bytes]  N, the header length, unsigned little-endian
//	[N bytes]  the header: a UTF-8 JSON object, right-padded with spaces
//	[rest]     the data section: the tensors' raw bytes, back to back
//
// Each header key is a tensor name mapped to
//
//	{"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}
//
// where the offsets are relative to the start of the data section, END-BEGIN equals the element
// count times the dtype's size, and values are stored little-endian in row-major order. The
// optional key "__metadata__" maps to a flat object of string values. The tensors must cover the
// data section exactly: sorted by BEGIN, each starts where the previous one ends, the first at 0
// and the last ending at the end of the file. [Parse] rejects anything else (Hugging Face's reader
// does the same), so a truncated, padded or overlapping file never loads silently. Unknown fields
// inside a tensor entry are ignored, as the reference reader does.
//
// [WriteFile] writes the header keys sorted by name with "__metadata__" first, lays the data out
// in the same order, and pads the header with spaces to a multiple of 8 bytes so that the data
// section is 8-byte aligned. Files are written atomically (a temporary file in the same
// directory, fsync, rename), so a crash leaves either the old file or the new one.
//
// # Model directories
//
// [LoadDir] and [SaveDir] follow the layout of transformers' save_pretrained: either a single
// model.safetensors, or shards model-00001-of-0000N.safetensors plus
// model.safetensors.index.json, whose "weight_map" names the shard of every tensor and whose
// "metadata.total_size" is the sum of the tensors' byte sizes. As in transformers, a directory
// holding model.safetensors is loaded from it, and SaveDir removes the files of the other layout
// only after the new one is complete.
//
// # Memory
//
// [ReadFile] reads the whole file into memory and the tensors' Data slices point into that one
// buffer: copy a tensor's Data before modifying it if other tensors of the file are still in use.
package safetensors
