module example.com/profsql-fixtures/contention

go 1.19
