"""A deterministic demo city modelled on Taizhou, Jiangsu (泰州 "泰有福"): regions, catalogue, providers, people."""
