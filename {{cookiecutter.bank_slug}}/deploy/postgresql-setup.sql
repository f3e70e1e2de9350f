-- Creates the role and database named in .env's DATABASE_URL (password generated at bake time).
-- 创建 .env 中 DATABASE_URL 所用的数据库用户和数据库。Run: sudo -u postgres psql < deploy/postgresql-setup.sql
CREATE ROLE {{ cookiecutter.bank_slug }} LOGIN PASSWORD '__DB_PASSWORD__';
CREATE DATABASE {{ cookiecutter.bank_slug }} OWNER {{ cookiecutter.bank_slug }} ENCODING 'UTF8' TEMPLATE template0;
