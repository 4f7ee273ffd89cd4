package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/collm/collm/maac/safetensors"
)

func Example() {
	dir, _ := os.MkdirTemp("", "safetensors-example")
	defer os.RemoveAll(dir)

	// Save two tensors (one rounded to bfloat16) as a model directory, then load them back.
	tensors := []*safetensors.Tensor{
		safetensors.FromFloat32("embed.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		safetensors.FromBF16("head.bias", []int{2}, []float32{0.1, -1.5}),
	}
	if err := safetensors.SaveDir(dir, tensors, 0, map[string]string{"format": "pt"}); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := safetensors.LoadDir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"embed.weight", "head.bias"} {
		t := loaded[name]
		values, _ := t.Float32s()
		fmt.Println(name, t.DType, t.Shape, values)
	}
	_, err = os.Stat(filepath.Join(dir, safetensors.SingleFileName))
	fmt.Println("single file:", err == nil)
	// Output:
	// embed.weight F32 [2 3] [1 2 3 4 5 6]
	// head.bias BF16 [2] [0.100097656 -1.5]
	// single file: true
}
