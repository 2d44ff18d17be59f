module example.com/profsql-fixtures/cpuwork

go 1.19
