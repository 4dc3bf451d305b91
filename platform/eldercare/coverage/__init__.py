"""The 15-minute service circle (15分钟养老服务圈): which providers and service points each community's elders have
within 1.5 km of home, and where none is, so that the bureau sees where to recruit."""
