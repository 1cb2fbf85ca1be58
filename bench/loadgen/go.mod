module kho/bench/loadgen

go 1.21
