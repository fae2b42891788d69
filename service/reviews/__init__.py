"""专家论证: admins assign experts to 揭榜挂帅 needs; experts score the applications."""
